/**
 * The independent checker: compares two databases table by table, row by
 * row, as exact text of every column (row-image.ts), never through the tool's
 * verify or its SQL builders. Also checks a writer's committed-row log against
 * one side.
 */
import type { Knex } from '../../../../lib/db.ts';
import { describeTable, readImages, type ImageTable, type RowImage } from './row-image.ts';

export const DEFAULT_MAX_EXAMPLES = 10;

export interface Side {
  knex: Knex;
  db: string;
}

export interface Difference {
  table: string;
  kind: 'missing' | 'extra' | 'different';
  key: string;
  /** For `different`: the columns whose text differs, with both values. */
  columns?: Array<{ column: string; expected: string | null; actual: string | null }>;
}

export interface CheckResult {
  /** Rows on the expected side (source / writer log) absent from the other. */
  missing: number;
  /** Rows on the checked side that should not be there. */
  extra: number;
  /** Rows present on both sides whose bytes differ in any column. */
  different: number;
  /** Rows looked at on the expected side. */
  compared: number;
  /** Column-list differences (a column on one side only). */
  schema: string[];
  examples: Difference[];
}

export function emptyResult(): CheckResult {
  return { missing: 0, extra: 0, different: 0, compared: 0, schema: [], examples: [] };
}

function columnDiff(t: ImageTable, a: RowImage, b: RowImage): Difference['columns'] {
  const out: NonNullable<Difference['columns']> = [];
  t.columns.forEach((c, i) => {
    if (a[i] !== b[i]) out.push({ column: c.name, expected: a[i], actual: b[i] });
  });
  return out;
}

function add(r: CheckResult, d: Difference, max: number): void {
  r[d.kind]++;
  if (r.examples.length < max) r.examples.push(d);
}

/** Compares `expected` (e.g. the source) with `actual` (e.g. the target): every row, every column, exact. */
export async function compareDatabases(expected: Side, actual: Side, tables: string[], maxExamples = DEFAULT_MAX_EXAMPLES): Promise<CheckResult> {
  const r = emptyResult();
  for (const table of tables) {
    const [te, ta] = await Promise.all([describeTable(expected.knex, expected.db, table), describeTable(actual.knex, actual.db, table)]);
    // column order may differ between the sides (different migrations): compare by name, read both with one list
    const names = (t: ImageTable) => t.columns.map((c) => `${c.name}:${c.dataType}`).sort().join(',');
    if (names(te) !== names(ta)) {
      r.schema.push(`${table}: columns (${names(te)}) vs (${names(ta)})`);
      continue;
    }
    const [a, b] = await Promise.all([readImages(expected.knex, expected.db, te), readImages(actual.knex, actual.db, te)]);
    for (const [key, img] of a) {
      r.compared++;
      const other = b.get(key);
      if (!other) add(r, { table, kind: 'missing', key }, maxExamples);
      else {
        const cols = columnDiff(te, img, other)!;
        if (cols.length) add(r, { table, kind: 'different', key, columns: cols }, maxExamples);
      }
    }
    for (const key of b.keys()) if (!a.has(key)) add(r, { table, kind: 'extra', key }, maxExamples);
  }
  return r;
}

/**
 * Checks a writer's expectation (table → key → last committed image, or null
 * when its last committed change deleted the row) against one side.
 */
export async function checkExpectation(side: Side, expected: Map<string, Map<string, RowImage | null>>, skip: Map<string, Set<string>> = new Map(), maxExamples = DEFAULT_MAX_EXAMPLES): Promise<CheckResult> {
  const r = emptyResult();
  for (const [table, rows] of expected) {
    const t = await describeTable(side.knex, side.db, table);
    const actual = await readImages(side.knex, side.db, t);
    const uncertain = skip.get(table) ?? new Set<string>();
    for (const [key, img] of rows) {
      if (uncertain.has(key)) continue;
      r.compared++;
      const got = actual.get(key);
      if (img === null) {
        if (got) add(r, { table, kind: 'extra', key }, maxExamples);
      } else if (!got) add(r, { table, kind: 'missing', key }, maxExamples);
      else {
        const cols = columnDiff(t, img, got)!;
        if (cols.length) add(r, { table, kind: 'different', key, columns: cols }, maxExamples);
      }
    }
  }
  return r;
}

export function summary(r: CheckResult): string {
  return `${r.compared} compared: ${r.missing} missing, ${r.extra} extra, ${r.different} different${r.schema.length ? `; schema: ${r.schema.join('; ')}` : ''}`
    + (r.examples.length ? `; e.g. ${r.examples.slice(0, 5).map((d) => `${d.kind} ${d.table} ${d.key}${d.columns ? ` ${d.columns.map((c) => `${c.column}: ${c.expected} → ${c.actual}`).join(', ')}` : ''}`).join(' | ')}` : '');
}

export function isClean(r: CheckResult): boolean {
  return r.missing === 0 && r.extra === 0 && r.different === 0 && r.schema.length === 0;
}
