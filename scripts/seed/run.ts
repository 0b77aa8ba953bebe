/**
 * Seeds a migrated legacy database from the generator: refuses a database that
 * already holds data unless asked to truncate, hashes the demo passwords once,
 * streams every table through the bulk writer and reports rows/s per table.
 */
import { createKnex } from '../../lib/db.ts';
import { hashPassword } from '../../lib/password.ts';
import { DEMO_ADMIN, DEMO_MERCHANT, DEMO_USER } from './demo.ts';
import { COLUMNS, SeedGenerator, TABLE_ORDER, type PasswordHashes, type Row, type SeedTable } from './generate.ts';
import type { SeedOptions } from './plan.ts';
import { BulkWriter } from './writer.ts';

export const DEFAULT_CONNECTIONS = 2;
/** Rows per INSERT: wide rows (products, users) in smaller batches, keeping each statement well under 16 MB. */
export const DEFAULT_BATCH: Record<SeedTable, number> = {
  categories: 1000, shops: 1000, merchants: 2000, admins: 100, users: 2000, products: 2000,
  product_images: 5000, likes: 5000, shop_bookmarks: 5000, logs: 5000,
};
/** Tables the seeder owns; --truncate empties these plus the ones that refer to them. */
const TRUNCATE = ['shop_daily_stats', 'logs', 'shop_bookmarks', 'likes', 'staff_sessions', 'sessions', 'product_images', 'products',
  'users', 'admins', 'merchants', 'categories', 'shops'];

export interface SeedRunOptions extends SeedOptions {
  truncate?: boolean;
  connections?: number;
  /** Overrides every table's batch size. */
  batchSize?: number;
  onProgress?: (p: { table: SeedTable; done: number; total: number; elapsedMs: number }) => void;
  progressEveryMs?: number;
}

export interface TableReport {
  table: SeedTable;
  rows: number;
  ms: number;
  rowsPerSec: number;
}

export interface SeedReport {
  tables: TableReport[];
  rows: number;
  ms: number;
  rowsPerSec: number;
  /** Time spent hashing the demo passwords and in the counting pre-pass (included in ms). */
  prepareMs: number;
}

export class SeedRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeedRefusedError';
  }
}

const rate = (rows: number, ms: number) => (ms > 0 ? Math.round((rows * 1000) / ms) : rows);

async function hashDemoPasswords(): Promise<PasswordHashes> {
  const [user, admin, merchant] = await Promise.all([hashPassword(DEMO_USER.password), hashPassword(DEMO_ADMIN.password), hashPassword(DEMO_MERCHANT.password)]);
  return { user, admin, merchant };
}

export async function seedDatabase(dsn: string, opts: SeedRunOptions): Promise<SeedReport> {
  const started = performance.now();
  const gen = new SeedGenerator(opts);
  const writer = await BulkWriter.open(dsn, Math.max(1, opts.connections ?? DEFAULT_CONNECTIONS));
  try {
    await prepareTarget(writer, dsn, opts.truncate ?? false);
    const hashesP = hashDemoPasswords();
    const agg = gen.aggregates();
    const hashes = await hashesP;
    const totals = gen.rowCounts(agg);
    const prepareMs = performance.now() - started;
    const tables: TableReport[] = [];
    for (const table of TABLE_ORDER) {
      const t0 = performance.now();
      const batchSize = opts.batchSize ?? DEFAULT_BATCH[table];
      let batch: Row[] = [];
      let done = 0;
      let lastReport = t0;
      for (const row of gen.rows(table, agg, hashes)) {
        batch.push(row);
        if (batch.length >= batchSize) {
          await writer.insert(table, COLUMNS[table], batch);
          done += batch.length;
          batch = [];
          const now = performance.now();
          if (opts.onProgress && now - lastReport >= (opts.progressEveryMs ?? 5000)) {
            lastReport = now;
            opts.onProgress({ table, done, total: totals[table], elapsedMs: now - t0 });
          }
        }
      }
      if (batch.length) await writer.insert(table, COLUMNS[table], batch);
      done += batch.length;
      await writer.flush();
      const ms = performance.now() - t0;
      tables.push({ table, rows: done, ms, rowsPerSec: rate(done, ms) });
    }
    const ms = performance.now() - started;
    const rows = tables.reduce((n, t) => n + t.rows, 0);
    return { tables, rows, ms, rowsPerSec: rate(rows, ms), prepareMs };
  } finally {
    await writer.close();
  }
}

async function prepareTarget(writer: BulkWriter, dsn: string, truncate: boolean): Promise<void> {
  if (truncate) {
    for (const t of TRUNCATE) await writer.exec(`TRUNCATE TABLE \`${t}\``);
    return;
  }
  const counts = await countRows(dsn, ['shops', 'products', 'users']);
  const busy = Object.entries(counts).filter(([, n]) => n > 0);
  if (busy.length) {
    throw new SeedRefusedError(`database already has data (${busy.map(([t, n]) => `${t}: ${n}`).join(', ')}); pass --truncate to replace it`);
  }
}

/** Exact row counts (COUNT(*)) of a few tables. */
export async function countRows(dsn: string, tables: string[]): Promise<Record<string, number>> {
  const knex = createKnex(dsn, { pool: { max: 1 } });
  try {
    const out: Record<string, number> = {};
    for (const t of tables) {
      const [rows] = (await knex.raw('SELECT COUNT(*) AS n FROM ??', [t])) as [{ n: number }[]];
      out[t] = Number(rows[0].n);
    }
    return out;
  } finally {
    await knex.destroy();
  }
}

export function formatReport(r: SeedReport): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const lines = r.tables.map((t) => `  ${t.table.padEnd(15)} ${n(t.rows).padStart(11)} rows ${(t.ms / 1000).toFixed(2).padStart(8)} s ${n(t.rowsPerSec).padStart(10)} rows/s`);
  lines.push(`  ${'total'.padEnd(15)} ${n(r.rows).padStart(11)} rows ${(r.ms / 1000).toFixed(2).padStart(8)} s ${n(r.rowsPerSec).padStart(10)} rows/s (incl. ${(r.prepareMs / 1000).toFixed(2)} s hashing + counting pre-pass)`);
  return lines.join('\n');
}
