/**
 * Reading `SHOW GRANTS` output (pure): which privileges the tool's user holds
 * on a database or table. Handles ALL PRIVILEGES, global (*.*), database and
 * wildcard database grants (`db\_%`.*), table grants, and the grants of an
 * enabled role (MariaDB lists them in SHOW GRANTS). Column grants give no
 * table privilege and are ignored; PROXY and routine grants too.
 */
export interface Grant {
  privileges: Set<string>;
  /** '*' for every database, else a LIKE-style pattern as written in the grant. */
  db: string;
  /** '*' for every table of the database. */
  table: string;
}

const OBJECT = /^(?:TABLE\s+)?(\*|`(?:[^`]|``)*`|[^.\s`]+)\.(\*|`(?:[^`]|``)*`|[^\s`]+)$/i;

function unquote(s: string): string {
  return s.startsWith('`') ? s.slice(1, -1).replace(/``/g, '`') : s;
}

/** Splits "SELECT (a, b), INSERT, UPDATE" at top-level commas. */
function splitPrivileges(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export function parseGrantLine(line: string): Grant | null {
  const m = /^GRANT\s+(.+?)\s+ON\s+(.+?)\s+TO\s+/is.exec(line.trim());
  if (!m) return null; // role grants ("GRANT `role` TO …"): the role's own lines are listed separately when enabled
  const obj = OBJECT.exec(m[2].trim());
  if (!obj) return null; // FUNCTION / PROCEDURE / PACKAGE / PROXY
  const privileges = new Set<string>();
  for (const p of splitPrivileges(m[1])) {
    if (p.includes('(')) continue; // column grant
    const name = p.replace(/\s+/g, ' ').toUpperCase();
    privileges.add(name === 'ALL' ? 'ALL PRIVILEGES' : name);
  }
  return { privileges, db: unquote(obj[1]), table: unquote(obj[2]) };
}

export function parseGrants(lines: string[]): Grant[] {
  return lines.map(parseGrantLine).filter((g): g is Grant => g !== null);
}

/** A grant's database pattern as a RegExp: `_` and `%` are wildcards, `\_` and `\%` literal. */
export function dbPatternRe(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    else if (ch === '_') re += '.';
    else if (ch === '%') re += '.*';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function covers(g: Grant, db: string | null, table: string | null): boolean {
  if (g.db === '*') return g.table === '*';
  if (db === null) return false; // a global privilege needs a *.* grant
  if (!dbPatternRe(g.db).test(db)) return false;
  if (g.table === '*') return true;
  return table !== null && g.table === table;
}

/**
 * Whether the grants give `privilege` on `db` (db-level: any table, including
 * tables the tool creates) or on one `table` of it; `db` null asks for a
 * global privilege such as PROCESS.
 */
export function holds(grants: Grant[], privilege: string, db: string | null, table: string | null = null): boolean {
  const p = privilege.toUpperCase();
  return grants.some((g) => covers(g, db, table) && (g.privileges.has(p) || (g.privileges.has('ALL PRIVILEGES') && p !== 'GRANT OPTION')));
}
