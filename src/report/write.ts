import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeIndex } from './history.js';
import { renderHtml } from './html.js';
import { renderJUnit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { resultSchema, type ResultDocument } from './result.js';

export interface ReportPaths {
  dir: string;
  json: string;
  html: string;
  markdown: string;
  junit: string;
  /** The reports folder's index.html, refreshed after the run was written. */
  index: string;
}

/** The files rendered from a result document, beside its result.json. */
export type RenderedPaths = Pick<ReportPaths, 'html' | 'markdown' | 'junit'>;

/** Write report.html, report.md and junit.xml into `dir`, from the (validated) document alone. */
export function renderReports(doc: ResultDocument, dir: string): RenderedPaths {
  const paths = { html: join(dir, 'report.html'), markdown: join(dir, 'report.md'), junit: join(dir, 'junit.xml') };
  writeFileSync(paths.html, renderHtml(doc));
  writeFileSync(paths.markdown, renderMarkdown(doc));
  writeFileSync(paths.junit, renderJUnit(doc));
  return paths;
}

/**
 * Write result.json, report.html, report.md and junit.xml into reports/<run-id>/, then refresh
 * reports/index.html (every run in the folder). The document is validated first.
 */
export function writeReports(doc: ResultDocument, reportsRoot: string): ReportPaths {
  const valid = resultSchema.parse(doc);
  const dir = join(reportsRoot, valid.run_id);
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'result.json');
  writeFileSync(json, `${JSON.stringify(valid, null, 2)}\n`);
  const rendered = renderReports(valid, dir);
  return { dir, json, ...rendered, index: writeIndex(reportsRoot) };
}
