/** Plain-text tables for the terminal (no colours, aligned columns). Pure. */
export type Cell = string | number | undefined | null;

export function fmtCell(c: Cell): string {
  if (c === undefined || c === null) return '-';
  if (typeof c === 'number') {
    if (Number.isNaN(c)) return '-';
    return Number.isInteger(c) ? String(c) : c.toFixed(c < 10 ? 2 : 1);
  }
  return c;
}

const width = (s: string) => [...s].reduce((n, ch) => n + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1), 0);

/** Numbers align right, text left. */
export function renderTable(headers: string[], rows: Cell[][]): string {
  const cells = rows.map((r) => headers.map((_, i) => fmtCell(r[i])));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || r[i] === undefined || r[i] === null));
  const w = headers.map((h, i) => Math.max(width(h), ...cells.map((r) => width(r[i]))));
  const pad = (s: string, i: number) => (numeric[i] ? ' '.repeat(w[i] - width(s)) + s : s + ' '.repeat(w[i] - width(s)));
  const line = (r: string[]) => r.map(pad).join('  ').trimEnd();
  return [line(headers), w.map((n) => '-'.repeat(n)).join('  '), ...cells.map(line)].join('\n');
}
