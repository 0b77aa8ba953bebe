/**
 * What the two split copy probes (_split-copy-ab.ts, _split-copy-timeline.ts)
 * share: the bench's seed on the main server beside a throwaway second
 * mariadbd, the dump pipe into a fresh database on it, the `product` service
 * that moves the seeded tables there, and the split library of this or of
 * another checkout (SPLIT_AB_BASE) for paired old/new rounds.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startMariaDb, type MariaDbServer } from '../../test/helpers/mariadb-server.ts';
import { createKnex, dropDatabase, ensureDatabase, parseMysqlDsn, withDatabase, type Knex } from '../../lib/db.ts';
import { migrateLatest } from '../../lib/migrate.ts';
import { closeContext, openContext } from '../split/lib/context.ts';
import { parseManifest, resolveService } from '../split/lib/manifest.ts';
import { validateOptions } from '../split/lib/options.ts';
import { start } from '../split/lib/start.ts';
import { seedProducts, TABLES } from './_split-seed.ts';

/**
 * The second (target) mariadbd of the split benches runs with MariaDB's own
 * defaults for the buffer pool (128 MiB) and redo log (96 MiB), like the main
 * server, not the test harness's smaller ones (64/32 MiB, sized for many
 * servers at once): with 64 MiB the dump pipe's secondary-index inserts into
 * 1,000,000 products read pages from disk and took 47.9 s against 27.5 s
 * (2026-12-07), which flattered our copy (its keys are built after, by sort).
 */
export const BENCH_SERVER_DEFAULTS = ['--innodb-buffer-pool-size=128M', '--innodb-log-file-size=96M'];

/** The second server's options: BENCH_SERVER_DEFAULTS, then SPLIT_BENCH_SERVER_ARGS (a later option wins), then `extra`. */
export function secondServerArgs(extra: string[] = []): string[] {
  return [...BENCH_SERVER_DEFAULTS, ...(process.env.SPLIT_BENCH_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean), ...extra];
}

/** Runs `cmd` in bash with pipefail; rejects with the start of its stderr when it fails. */
export function shell(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pipe failed (${code}): ${err.slice(0, 300)}`))));
  });
}

export interface SplitLib {
  openContext: typeof openContext;
  closeContext: typeof closeContext;
  parseManifest: typeof parseManifest;
  resolveService: typeof resolveService;
  validateOptions: typeof validateOptions;
  start: typeof start;
}

/** This checkout's split library. */
export const OURS: SplitLib = { openContext, closeContext, parseManifest, resolveService, validateOptions, start };

/** The split library of the checkout in SPLIT_AB_BASE (`what` names the caller's option in the error). */
export async function baseLib(what: string): Promise<SplitLib> {
  const dir = process.env.SPLIT_AB_BASE;
  if (!dir) throw new Error(`${what}: set SPLIT_AB_BASE to another checkout of the repository`);
  const [c, m, o, s] = await Promise.all(['context', 'manifest', 'options', 'start'].map((f) => import(`${dir}/scripts/split/lib/${f}.ts`)));
  return { openContext: c.openContext, closeContext: c.closeContext, parseManifest: m.parseManifest, resolveService: m.resolveService, validateOptions: o.validateOptions, start: s.start };
}

export interface Probe {
  /** The main server's DSN (no database). */
  server: string;
  /** The seeded source database on it, and a knex on that database. */
  srcDb: string;
  src: Knex;
  second: MariaDbServer;
  targetPid: number;
  sourcePid: number;
  /** Rows the seed wrote into TABLES. */
  total: number;
  /** Closes the knex, drops the source database, stops the second server. */
  close(): Promise<void>;
}

/** Seeds `rows` products (`<prefix>_<random>` on the main server) and starts the second mariadbd. */
export async function openProbe(prefix: string, rows: number): Promise<Probe> {
  const server = withDatabase(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/legacy', undefined);
  const srcDb = `${prefix}_${randomBytes(3).toString('hex')}`;
  const src = createKnex(withDatabase(server, srcDb), { pool: { max: 2 } });
  const second = await startMariaDb({ args: secondServerArgs() });
  const close = async () => {
    await src.destroy().catch(() => undefined);
    await dropDatabase(withDatabase(server, srcDb)).catch(() => undefined);
    await second.stop();
  };
  try {
    await ensureDatabase(withDatabase(server, srcDb));
    await migrateLatest(src, 'legacy');
    await seedProducts(src, rows);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    server, srcDb, src, second,
    targetPid: Number(readFileSync(`${second.dir}/pid`, 'utf8').trim()),
    sourcePid: Number(readFileSync('/run/mysqld/mysqld.pid', 'utf8').trim()),
    total: 20 + rows + Math.floor(rows / 4),
    close,
  };
}

/**
 * The peer: `mariadb-dump | mariadb` of the seeded tables into `db` on the second server, created and migrated
 * first; `onPipe` is called as the pipe starts.
 */
export async function dumpInto(p: Probe, db: string, onPipe?: () => void): Promise<void> {
  const k = createKnex(p.second.dsn(db), { pool: { max: 1 } });
  await ensureDatabase(p.second.dsn(db));
  await migrateLatest(k, 'product');
  await k.destroy();
  const c = parseMysqlDsn(p.server);
  const d = parseMysqlDsn(p.second.dsn());
  onPipe?.();
  await shell(`mariadb-dump -h ${c.host} -P ${c.port} -u ${c.user} --single-transaction --quick --no-create-info --skip-triggers --skip-add-locks ${p.srcDb} ${TABLES.join(' ')} | mariadb -h ${d.host} -P ${d.port} -u ${d.user} ${db}`);
}

/** The `product` service moving the seeded tables into `db` on the second server (crossing FKs dropped), by `lib`. */
export function productService(lib: SplitLib, p: Probe, db: string): ReturnType<typeof resolveService> {
  return lib.resolveService(lib.parseManifest({ version: 1, source: withDatabase(p.server, p.srcDb), services: { product: { domain: 'product', target: p.second.dsn(db), migrations: 'product', tables: TABLES,
    crossingForeignKeys: { 'products.fk_products_shop': { action: 'drop' }, 'likes.fk_likes_product': { action: 'drop' } } } } }), 'product');
}
