import type mysql from 'mysql2/promise';
import { openConnection, type Side } from './side.ts';
import { keyNotIn, keySelect, orderBy, rangeWhere } from './keys.ts';
import type { ChunkHash, ChunkHashKind } from './rowhash.ts';
import { checksumSql, compareList, qq, type TableShape } from './sql.ts';

/**
 * A consistent snapshot of the live side, held open while one verify chunk is
 * compared: every query of the chunk (checksums of sub-ranges, leaf rows)
 * sees the same moment, so narrowing a mismatch down is deterministic even
 * while the application keeps writing.
 */
export interface Snapshot {
  checksum(shape: TableShape, lo: string | null, hi: string | null, exclude: Set<string>, kind: ChunkHashKind): Promise<ChunkHash>;
  rows(shape: TableShape, lo: string | null, hi: string | null, exclude: Set<string>): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
}

export async function openSnapshot(side: Side): Promise<Snapshot> {
  const conn: mysql.Connection = await openConnection(side.dsn);
  await conn.query("SET SESSION tx_isolation = 'REPEATABLE-READ'");
  await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
  return {
    async checksum(shape, lo, hi, exclude, kind) {
      const [rows] = await conn.query(checksumSql(side.db, shape, lo, hi, exclude, kind));
      return (rows as ChunkHash[])[0];
    },
    async rows(shape, lo, hi, exclude) {
      const [rows] = await conn.query(`SELECT ${keySelect(shape.key)}, ${compareList(shape)} FROM ${qq(side.db, shape.name)} WHERE ${rangeWhere(shape.key, lo, hi)}${keyNotIn(shape.key, exclude)} ORDER BY ${orderBy(shape.key)}`);
      return rows as Array<Record<string, unknown>>;
    },
    async close() {
      try {
        await conn.query('COMMIT');
      } finally {
        await conn.end().catch(() => conn.destroy());
      }
    },
  };
}
