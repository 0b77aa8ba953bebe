import pkg from 'node-sql-parser';

const { Parser } = pkg;
const parser = new Parser();

/** Dialects handed to node-sql-parser, in order (its MariaDB grammar refuses some MySQL it accepts, e.g. a bare `status` column). */
export const DEFAULT_SQL_DIALECTS = ['MariaDB', 'MySQL'];
/** Interpolations of a template literal become this prefix + index (an identifier works where a value or a table name stands). */
export const PLACEHOLDER = '__split_p';

const WRAP_TABLE = '__split_wrap';

export type SqlParse =
  | { ok: true; tables: string[]; ops: string[]; dynamic: boolean }
  | { ok: false; error: string };

/** Text that reads like a whole SQL statement (strings elsewhere in the code are ignored unless handed to raw/query/execute). */
const STATEMENT = /^\s*\(?\s*(?:SELECT\b[\s\S]*\bFROM\b|INSERT\s+(?:IGNORE\s+)?INTO\b|REPLACE\s+INTO\b|UPDATE\s+[`\w.]+[\s\S]*\bSET\b|DELETE\s+(?:\w+\s+)?FROM\b|WITH\s+(?:RECURSIVE\s+)?\w+\s+AS\s*\()/i;

export function looksLikeSql(text: string): boolean {
  return STATEMENT.test(text);
}

/** SQL that cannot name a table (SET SESSION …, `version + 1`): a parse failure of it is not worth reporting. */
export function mayNameTable(text: string): boolean {
  return /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\b/i.test(text);
}

/** MySQL/MariaDB modifiers node-sql-parser does not read; they do not change which tables a statement names. */
function normalize(sql: string): string {
  return sql
    .replace(/\bSELECT\s+((?:(?:STRAIGHT_JOIN|HIGH_PRIORITY|SQL_(?:SMALL|BIG|BUFFER)_RESULT|SQL_NO_CACHE|SQL_CACHE|SQL_CALC_FOUND_ROWS)\s+)+)/gi, 'SELECT ')
    .replace(/\bSTRAIGHT_JOIN\b/gi, 'JOIN')
    .replace(/\b(INSERT|UPDATE|DELETE|REPLACE)\s+(?:LOW_PRIORITY|DELAYED|HIGH_PRIORITY|QUICK)\s+/gi, '$1 ');
}

/** Names a WITH clause defines (they are not tables). */
function cteNames(sql: string): Set<string> {
  const out = new Set<string>();
  for (const m of sql.matchAll(/(?:\bWITH\s+(?:RECURSIVE\s+)?|,\s*)`?(\w+)`?\s*(?:\([^)]*\)\s*)?AS\s*\(/gi)) out.add(m[1].toLowerCase());
  return out;
}

function tablesOf(sql: string, database: string): { tables: string[]; ops: string[]; dynamic: boolean } {
  const list = parser.tableList(sql, { database });
  const ctes = cteNames(sql);
  const tables = new Set<string>();
  const ops = new Set<string>();
  let dynamic = false;
  for (const entry of list) {
    const [op, , table] = entry.split('::');
    if (!table || table === 'null') continue;
    if (table === WRAP_TABLE) continue;
    if (table.startsWith(PLACEHOLDER)) {
      dynamic = true;
      continue;
    }
    if (ctes.has(table.toLowerCase())) continue;
    tables.add(table);
    ops.add(op);
  }
  return { tables: [...tables], ops: [...ops], dynamic };
}

/**
 * Tables named by SQL text. `parts` are the literal pieces of a template (one
 * piece for a plain string); the gaps between them are tried as an
 * identifier, then `?`, then a number. Fragments (a subquery handed to
 * knex.raw inside a select) are tried as they are, then as a select list, a
 * WHERE condition and a join clause. Pure.
 */
export function parseSqlParts(parts: string[], fragment = false): SqlParse {
  const fills: Array<(i: number) => string> = [(i) => `${PLACEHOLDER}${i}`, () => '?', () => '0', () => '(0)'];
  const wraps: Array<(s: string) => string> = fragment
    ? [(s) => s, (s) => `SELECT ${s}`, (s) => `SELECT 1 FROM ${WRAP_TABLE} WHERE ${s}`, (s) => `SELECT 1 FROM ${WRAP_TABLE} ${s}`]
    : [(s) => s];
  let k = 0;
  // knex identifier bindings (`??`) stand where a name does
  parts = parts.map((p) => p.replace(/\?\?/g, () => `${PLACEHOLDER}b${k++}`));
  let first: string | undefined;
  for (const database of DEFAULT_SQL_DIALECTS) {
    for (const norm of [(x: string) => x, normalize]) {
      for (const fill of fills) {
        const sql = norm(parts.map((p, i) => (i ? fill(i - 1) : '') + p).join(''));
        for (const wrap of wraps) {
          try {
            return { ok: true, ...tablesOf(wrap(sql), database) };
          } catch (err) {
            first ??= String((err as Error).message ?? err).split('\n')[0].slice(0, 200);
          }
        }
        if (parts.length === 1) break;
      }
    }
  }
  return { ok: false, error: first ?? 'unparsed' };
}
