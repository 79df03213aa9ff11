/** A plain left-aligned text table: a header row, a rule, then the rows; cells are cut at `maxWidth`. */
export function formatTable(headers: string[], rows: string[][], maxWidth = 60): string {
  const cut = (s: string): string => (s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s);
  const cells = [headers, ...rows].map((row) => row.map((c) => cut(c.replace(/\s+/g, ' '))));
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** A date as `2025-01-31 14:05:09Z`, or '-' when absent. */
export function formatDate(date: Date | null | undefined): string {
  return date ? `${date.toISOString().slice(0, 19).replace('T', ' ')}Z` : '-';
}
