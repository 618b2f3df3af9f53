export type Align = 'left' | 'right';

export interface TableOptions {
  /**
   * One for every column, or per column. Columns not given: the first left, the rest right — a label,
   * then figures, the shape of most of our tables.
   */
  align?: Align | readonly Align[];
  /** Before every line (e.g. two spaces under a heading). */
  indent?: string;
}

/** Two spaces between columns: wide enough to read, narrow enough for 80 columns. */
const GAP = '  ';

/**
 * Rows of cells → aligned text, one line per row, no trailing spaces. The first row is usually the header;
 * a short row leaves its missing cells blank.
 */
export function renderTable(rows: ReadonlyArray<readonly string[]>, opts: TableOptions = {}): string {
  const columns = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const { align } = opts;
  const alignOf = (i: number): Align => (typeof align === 'string' ? align : align?.[i]) ?? (i === 0 ? 'left' : 'right');
  return rows
    .map((r) =>
      `${opts.indent ?? ''}${widths.map((w, i) => (alignOf(i) === 'left' ? (r[i] ?? '').padEnd(w) : (r[i] ?? '').padStart(w))).join(GAP)}`.trimEnd(),
    )
    .join('\n');
}
