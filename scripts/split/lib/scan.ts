import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Static scan of legacy code for access to the moved tables: knex builder
 * calls naming a table (`knex('products')`, `.from('products')`, `.join(...)`,
 * `.into(...)`, `.table(...)`) and raw SQL mentioning it after FROM / JOIN /
 * INTO / UPDATE / TABLE. Pure matcher + a file walker.
 */
export interface CodeHit {
  file: string;
  line: number;
  table: string;
  kind: 'knex' | 'sql';
  job: boolean;
  /** Data-access files (legacy/models, repositories, adapters) switch to the service's Thrift client behind the repository seam; others (jobs, handlers with SQL) must be moved behind it. */
  switchesToThrift: boolean;
  /** Other services' (or unowned legacy) tables named in the same statement: a join crossing the boundary. */
  crossesBoundaryWith: string[];
  text: string;
}

const KNEX_CALL = /(?:\b(?:knex|db|trx|tx|k)\s*\(|\.(?:from|into|table|join|leftJoin|rightJoin|innerJoin|joinRaw|update|del)\s*\()\s*['"`]([A-Za-z0-9_]+)(?:\s+as\s+[A-Za-z0-9_]+)?['"`]/g;
const SQL_REF = /\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+`?([A-Za-z0-9_]+)`?/gi;

export function scanText(file: string, text: string, owners: Map<string, string>, service: string): CodeHit[] {
  const hits: CodeHit[] = [];
  const lines = text.split('\n');
  const job = /(^|\/)jobs?\//.test(file);
  const seam = /(^|\/)(models|repositories|repository|adapters?)\//.test(file) || /repositor/i.test(file);
  lines.forEach((lineText, i) => {
    const found = new Map<string, 'knex' | 'sql'>();
    for (const m of lineText.matchAll(KNEX_CALL)) found.set(m[1], 'knex');
    for (const m of lineText.matchAll(SQL_REF)) if (!found.has(m[1])) found.set(m[1], 'sql');
    if (![...found.keys()].some((t) => owners.get(t) === service)) return;
    // a statement may span lines: look at a small window for the other tables it names
    const windowText = lines.slice(Math.max(0, i - 3), i + 4).join('\n');
    const named = new Set<string>();
    for (const m of windowText.matchAll(SQL_REF)) named.add(m[1]);
    for (const m of windowText.matchAll(KNEX_CALL)) named.add(m[1]);
    for (const [table, kind] of found) {
      if (owners.get(table) !== service) continue;
      const crosses = [...named].filter((t) => t !== table && owners.has(t) && owners.get(t) !== service);
      hits.push({ file, line: i + 1, table, kind, job, switchesToThrift: seam, crossesBoundaryWith: crosses, text: lineText.trim().slice(0, 160) });
    }
  });
  return hits;
}

export async function scanTree(root: string, dir: string, owners: Map<string, string>, service: string): Promise<CodeHit[]> {
  const out: CodeHit[] = [];
  let entries: Array<import('node:fs').Dirent>;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules' || e.name === 'test' || e.name.startsWith('.')) continue;
      out.push(...(await scanTree(root, p, owners, service)));
    } else if (/\.(ts|js|mjs|sql)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) {
      out.push(...scanText(relative(root, p), await readFile(p, 'utf8'), owners, service));
    }
  }
  return out;
}
