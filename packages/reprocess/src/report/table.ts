// Aligned plain-text tables for terminal reports: a header row, then one line per row, columns padded to the
// widest cell. No borders, so the output stays readable in logs and greppable.

export interface Column {
  header: string;
  /** Numbers read best right-aligned. Default left. */
  align?: 'left' | 'right';
}

/** The table as lines (no trailing newline), each prefixed with `indent`. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = '  '): string[] {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => indent + columns
    .map((c, i) => (c.align === 'right' ? (cells[i] ?? '').padStart(widths[i]!) : (cells[i] ?? '').padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}

/** "12.5%" of a whole; "-" when the whole is 0. */
export function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(1)}%`;
}

/** Shows SQL NULL distinctly from any real code. */
export function cell(value: string | number | null | undefined): string {
  return value === null || value === undefined ? '(null)' : String(value);
}

/** "1 packet", "2 packets". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
