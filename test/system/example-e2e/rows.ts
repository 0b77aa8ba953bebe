/**
 * An independent row compare for the example's end-to-end test (not split-db's verify): every column of every
 * row read as HEX() on each side — nothing passes through a JS number, a date or a collation — keyed by the HEX
 * of the primary key, then compared as strings.
 */
import type { Knex } from '../../../lib/db.ts';

export type RowImages = Map<string, string>;

export async function rowImages(knex: Knex, table: string): Promise<RowImages> {
  const db = (await knex.raw('SELECT DATABASE() AS d'))[0][0].d as string;
  const [cols] = await knex.raw(
    'SELECT COLUMN_NAME c, COLUMN_KEY k FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION', [db, table]);
  const all = (cols as Array<{ c: string; k: string }>).map((r) => r.c);
  const [keyCols] = await knex.raw(
    "SELECT COLUMN_NAME c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION", [db, table]);
  const key = (keyCols as Array<{ c: string }>).map((r) => r.c);
  if (all.length === 0 || key.length === 0) throw new Error(`${db}.${table}: no columns or no primary key`);
  const hex = (c: string) => `IFNULL(HEX(\`${c}\`), 'NULL')`;
  const [rows] = await knex.raw(`SELECT CONCAT_WS(',', ${key.map(hex).join(', ')}) AS k, CONCAT_WS('|', ${all.map(hex).join(', ')}) AS v FROM \`${table}\``);
  return new Map((rows as Array<{ k: string; v: string }>).map((r) => [r.k, r.v]));
}

export interface ImageDiff { compared: number; differ: string[]; onlyLeft: string[]; onlyRight: string[] }

export function compareImages(left: RowImages, right: RowImages): ImageDiff {
  const out: ImageDiff = { compared: 0, differ: [], onlyLeft: [], onlyRight: [] };
  for (const [k, v] of left) {
    const w = right.get(k);
    if (w === undefined) out.onlyLeft.push(k);
    else {
      out.compared++;
      if (w !== v) out.differ.push(k);
    }
  }
  for (const k of right.keys()) if (!left.has(k)) out.onlyRight.push(k);
  return out;
}
