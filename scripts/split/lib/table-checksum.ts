import type { Link } from './link.ts';
import type { Side } from './side.ts';
import { changelogTable, qq } from './sql.ts';
import type { QuietCatchUp } from './verify-catchup.ts';

/**
 * CHECKSUM TABLE as a guard beside verify's chunk hashes (started with a table's
 * last chunk, verifier.ts): a table whose native
 * checksum differs between the two sides is never reported clean. The native
 * checksum depends on the server version, the storage format and the column
 * definitions, so it is only compared when both sides agree on all three
 * ("comparable"), and only while nothing changes: right after a catch-up, in
 * its quiet window (no other catch-up runs until the look is over, so the
 * target stands still), the changelog holds no change of the table, both
 * checksums are taken at once, and the changelog still holds none; otherwise
 * it is retried (CHECKSUM_TABLE_ATTEMPTS) and then reported as `busy` (the
 * chunk hashes stand alone). Outside that window another chunk's catch-up
 * could apply and consume a change the source's checksum saw and the target's
 * did not, and the tables would be called different.
 */
export const CHECKSUM_TABLE_ATTEMPTS = 3;

export type ChecksumTableResult = 'equal' | 'different' | 'not-comparable' | 'busy';

export async function checksumTableGuard(link: Link, table: string, catchUp: QuietCatchUp, attempts = CHECKSUM_TABLE_ATTEMPTS): Promise<ChecksumTableResult> {
  if (!(await comparable(link, table))) return 'not-comparable';
  // the window holds every other catch-up back while both checksums run: first a catch-up that holds nothing, so a
  // chunk that asked for the same one (the table's last, handed out with the guard) opens its snapshot before that
  await catchUp(async () => undefined);
  for (let i = 0; i < attempts; i++) {
    const r = await catchUp(async (w): Promise<ChecksumTableResult | null> => {
      if (await pending(link, table)) return null;
      const [a, b] = await Promise.all([checksumTable(link.from, table), checksumTable(link.to, table)]);
      await w.captured(); // binlog capture: a change the source's checksum saw is in the changelog now
      if (await pending(link, table)) return null;
      if (a === null || b === null) return 'not-comparable';
      return a === b ? 'equal' : 'different';
    });
    if (r) return r;
  }
  return 'busy';
}

export async function checksumTable(side: Side, table: string): Promise<string | null> {
  const [rows] = await side.knex.raw(`CHECKSUM TABLE ${qq(side.db, table)} EXTENDED`);
  const v = (rows as Array<{ Checksum: string | number | null }>)[0]?.Checksum;
  return v === null || v === undefined ? null : String(v);
}

async function pending(link: Link, table: string): Promise<boolean> {
  const [rows] = await link.from.knex.raw(`SELECT 1 AS x FROM ${qq(link.from.db, changelogTable(link.service))} WHERE tbl = ? LIMIT 1`, [table]);
  return (rows as unknown[]).length > 0;
}

/** Same server version, engine, row format and column definitions (name, type, collation, nullability, generation) in the same order. */
async function comparable(link: Link, table: string): Promise<boolean> {
  const [a, b] = await Promise.all([signature(link.from, table), signature(link.to, table)]);
  return a !== null && a === b;
}

async function signature(side: Side, table: string): Promise<string | null> {
  const [[t]] = await side.knex.raw(
    `SELECT VERSION() AS v, ENGINE AS e, ROW_FORMAT AS f, (SELECT GROUP_CONCAT(CONCAT_WS('|', COLUMN_NAME, COLUMN_TYPE, IFNULL(COLLATION_NAME, ''), IS_NULLABLE, IFNULL(GENERATION_EXPRESSION, ''), EXTRA) ORDER BY ORDINAL_POSITION SEPARATOR '\\n')
       FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?) AS c
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, [side.db, table, side.db, table]);
  if (!t) return null;
  return [t.v, t.e, t.f, t.c].map((x) => String(x)).join('\n');
}
