import { escapeXml as esc } from './escape.js';

/** A cell that is HTML already (a link, bold text), with an optional class (a status colour of the report's CSS). */
export interface HtmlCell {
  html: string;
  cls?: string;
}

/** A table cell: text or a number (escaped here), or HTML built by the caller. */
export type Cell = string | number | HtmlCell;

/** HTML the caller built (and escaped) itself. */
export const html = (markup: string, cls?: string): HtmlCell => (cls === undefined ? { html: markup } : { html: markup, cls });

/** Text in a class: a status word coloured by the report's CSS ("passed", "failed", ...). */
export const classed = (text: string, cls: string): HtmlCell => ({ html: esc(text), cls });

function cell(tag: 'th' | 'td', c: Cell): string {
  if (typeof c !== 'object') return `<${tag}>${esc(String(c))}</${tag}>`;
  return c.cls === undefined ? `<${tag}>${c.html}</${tag}>` : `<${tag} class="${esc(c.cls)}">${c.html}</${tag}>`;
}

/** The report's one table renderer: a header row (none when empty) and rows of cells, escaped unless HTML. */
export function htmlTable(header: readonly Cell[], rows: ReadonlyArray<readonly Cell[]>): string {
  const head = header.length ? `<tr>${header.map((c) => cell('th', c)).join('')}</tr>` : '';
  return `<table>${head}${rows.map((r) => `<tr>${r.map((c) => cell('td', c)).join('')}</tr>`).join('')}</table>`;
}
