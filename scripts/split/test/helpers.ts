import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createKnex, dropDatabase, withDatabase, type Knex } from '../../../lib/db.ts';
import { createMysqlOwnershipRegistry, type MysqlOwnershipRegistry } from '../../../lib/ownership/index.ts';
import { createTestDatabase, testServerDsn, uniqueName, type TestDatabase } from '../../../test/helpers/db.ts';
import { mariaDbAvailable, sharedMariaDb, startMariaDb, stopSharedMariaDb, type MariaDbServer } from '../../../test/helpers/mariadb-server.ts';
import { openContext, type SplitContext } from '../lib/context.ts';
import { shapeOf, tableInfo } from '../lib/introspect.ts';
import { parseManifest, resolveService, type Manifest } from '../lib/manifest.ts';
import { validateOptions, type SplitOptions } from '../lib/options.ts';
import { diffRows, type RowDiff } from '../lib/rowdiff.ts';
import { keySelect, orderBy } from '../lib/keys.ts';
import { qq, selectList } from '../lib/sql.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CLI = resolve(HERE, '../bin/split-db.ts');
export const PRODUCT_TABLES = ['categories', 'products', 'product_images'];

export interface Pair {
  source: TestDatabase;
  targetName: string;
  targetDsn: string;
  target: Knex;
  manifest: Manifest;
  manifestPath: string;
  drop(): Promise<void>;
}

/** A fresh legacy source database and an (empty, not yet created) target database name on the same server, plus a manifest for both. */
export async function createPair(prefix: string, serverDsn = testServerDsn()): Promise<Pair> {
  const source = await createTestDatabase(`${prefix}_s`, ['legacy'], 'move', serverDsn);
  const targetName = uniqueName(`${prefix}_t`);
  const targetDsn = withDatabase(serverDsn, targetName);
  const manifest = parseManifest({
    version: 1,
    source: source.dsn,
    services: {
      product: {
        domain: 'product', target: targetDsn, migrations: 'product', tables: PRODUCT_TABLES,
        crossingForeignKeys: { 'products.fk_products_shop': { action: 'drop' }, 'likes.fk_likes_product': { action: 'drop' } },
      },
    },
  });
  const dir = await mkdtemp(join(tmpdir(), 'split-'));
  const manifestPath = join(dir, 'manifest.json');
  await writeFile(manifestPath, JSON.stringify(manifest));
  const target = createKnex(targetDsn, { profile: 'move' });
  return {
    source, targetName, targetDsn, target, manifest, manifestPath,
    async drop() {
      await target.destroy();
      await source.drop();
      await dropDatabase(targetDsn);
      await rm(dir, { recursive: true, force: true }); // the manifest's folder in /tmp
    },
  };
}

export function productContext(pair: Pair, opts: Partial<SplitOptions> = {}, extra: Partial<Parameters<typeof openContext>[0]> = {}): SplitContext {
  return openContext({
    service: resolveService(pair.manifest, 'product'),
    opts: validateOptions({ chunkSize: 100, minChunk: 20, maxChunk: 400, maxThreadsRunning: 0, verifyChunk: 300, freezeAbortMs: 5000, ...opts }),
    ...extra,
  });
}

/** Seeds shops, categories, products (varied types) and images. */
export async function seedCatalog(k: Knex, products: number): Promise<void> {
  await k.raw(`INSERT INTO shops (id, name, slug, status, contract_status) VALUES (1,'무신사','s1','open','active'),(2,'29CM 🛍','s2','open','active'),(3,'W컨셉','s3','closed','suspended')`);
  await k.raw(`INSERT INTO categories (id, parent_id, name, slug) VALUES (1,NULL,'상의','top'),(2,1,'티셔츠 👕','tee'),(3,NULL,'하의','bottom')`);
  const rows: string[] = [];
  for (let i = 1; i <= products; i++) {
    const sale = i % 3 === 0 ? 'NULL' : `${(i % 50) * 100 + 900}.50`;
    const attrs = i % 4 === 0 ? 'NULL' : `'{"size": ["S","M"], "색상": "검정", "n": ${i}}'`;
    rows.push(`(${i}, ${(i % 3) + 1}, ${i % 5 === 0 ? 'NULL' : (i % 3) + 1}, 'ext-${i}', '상품 ${i} ✨', ${i % 7 === 0 ? 'NULL' : "'설명'"}, ${(i % 50) * 100 + 1000}.00, ${sale}, 'KRW', '${['active', 'hidden', 'sold_out'][i % 3]}', ${attrs}, ${i}, ${i * 3}, ${i / 7}, 1, '2024-01-0${(i % 9) + 1} 10:00:00.${String(i % 1000000).padStart(6, '0')}')`);
  }
  for (let i = 0; i < rows.length; i += 500) {
    await k.raw(`INSERT INTO products (id, shop_id, category_id, external_id, name, description, price, sale_price, currency, status, attributes, like_count, view_count, popularity_score, version, created_at) VALUES ${rows.slice(i, i + 500).join(',')}`);
  }
  const imgs: string[] = [];
  for (let i = 1; i <= products; i += 2) imgs.push(`(${i}, ${i}, 'https://img/${i}.jpg', 0)`);
  for (let i = 0; i < imgs.length; i += 500) await k.raw(`INSERT INTO product_images (id, product_id, url, position) VALUES ${imgs.slice(i, i + 500).join(',')}`);
}

/** Full row-by-row comparison of the moved tables (copyable columns, JSON by meaning). */
export async function compareAll(a: Knex, aDb: string, b: Knex, bDb: string, tables = PRODUCT_TABLES): Promise<Array<RowDiff & { table: string }>> {
  const out: Array<RowDiff & { table: string }> = [];
  for (const t of tables) {
    const shape = shapeOf(await tableInfo(a, aDb, t));
    const read = async (k: Knex, db: string) => (await k.raw(`SELECT ${keySelect(shape.key)}, ${selectList(shape)} FROM ${qq(db, t)} ORDER BY ${orderBy(shape.key)}`))[0] as Array<Record<string, unknown>>;
    for (const d of diffRows(shape, await read(a, aDb), await read(b, bDb))) out.push({ table: t, ...d });
  }
  return out;
}

/**
 * An application-like writer: asks the ownership registry where products live,
 * writes there, retries a write rejected by the cutover fence, and keeps a
 * model (product id → version) of every write that succeeded.
 */
export class Writer {
  readonly model = new Map<number, number>();
  readonly deleted: number[] = [];
  /** Products a loop is deleting right now (their DELETE sent, the model not yet told). */
  private readonly deleting = new Set<number>();
  ops = 0;
  fenced = 0;
  onTarget = 0;
  errors: string[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];
  private src: Knex;
  private dst: Knex;
  private reg!: MysqlOwnershipRegistry;
  private regKnex: Knex;
  private ext = 0;
  private pkSeq = 0;
  private readonly tag: string;

  constructor(sourceDsn: string, targetDsn: string, initialProducts: number, tag = 'w') {
    this.src = createKnex(sourceDsn, { pool: { max: 4 } });
    this.dst = createKnex(targetDsn, { pool: { max: 4 } });
    this.regKnex = createKnex(sourceDsn, { pool: { max: 2 } });
    for (let i = 1; i <= initialProducts; i++) this.model.set(i, 1);
    this.tag = tag;
  }

  async start(concurrency = 2, delayMs = 2): Promise<void> {
    this.reg = await createMysqlOwnershipRegistry({ knex: this.regKnex, pollMs: 20 });
    for (let i = 0; i < concurrency; i++) this.loops.push(this.loop(delayMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await this.reg.close();
    await Promise.all([this.src.destroy(), this.dst.destroy(), this.regKnex.destroy()]);
  }

  /** Waits until at least `n` more operations succeeded. */
  async more(n: number, timeoutMs = 10_000): Promise<void> {
    const goal = this.ops + n;
    const deadline = Date.now() + timeoutMs;
    while (this.ops < goal) {
      if (Date.now() > deadline) throw new Error(`writer stalled at ${this.ops} ops (fenced ${this.fenced}); errors: ${this.errors.slice(-3).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  private db(): Knex {
    const own = this.reg.get('product').database === 'own';
    if (own) this.onTarget++;
    return own ? this.dst : this.src;
  }

  private pick(): number | undefined {
    const keys = [...this.model.keys()];
    return keys.length ? keys[Math.floor(Math.random() * keys.length)] : undefined;
  }

  private async loop(delayMs: number): Promise<void> {
    while (!this.stopped) {
      try {
        await this.step();
        this.ops++;
      } catch (err) {
        const e = err as { errno?: number; message?: string };
        if (e.errno === 1644) {
          this.fenced++;
          await this.reg.refresh().catch(() => undefined);
        } else if (e.errno !== 1062) {
          this.errors.push(String(e.message).slice(0, 200));
        }
      }
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    }
  }

  private async step(): Promise<void> {
    const r = Math.random();
    const k = this.db();
    if (r < 0.25) {
      const ext = `${this.tag}-${++this.ext}-${Math.random().toString(36).slice(2, 8)}`;
      const [id] = await k('products').insert({ shop_id: 1 + (this.ext % 3), category_id: this.ext % 2 ? 2 : null, external_id: ext, name: `새 상품 ${this.ext} 🎉`, price: '12345.67', attributes: '{"b": 1, "a": [1, 2]}' });
      this.model.set(Number(id), 1);
    } else if (r < 0.55) {
      const id = this.pick();
      if (id === undefined) return;
      const n = await k('products').where({ id }).update({ version: k.raw('version + 1'), name: `수정 ${Date.now()} 😀`, price: `${Math.floor(Math.random() * 90000) + 100}.99`, sale_price: Math.random() < 0.3 ? null : '99.00', attributes: Math.random() < 0.2 ? null : JSON.stringify({ t: Date.now(), k: '한글' }) });
      if (n === 1) this.model.set(id, this.model.get(id)! + 1);
    } else if (r < 0.65) {
      // delete: half of the time the newest row
      const id = Math.random() < 0.5 ? Math.max(...this.model.keys()) : this.pick();
      if (id === undefined || !Number.isFinite(id)) return;
      this.deleting.add(id);
      try {
        const n = await k('products').where({ id }).del();
        if (n === 1) {
          this.model.delete(id);
          this.deleted.push(id);
        }
      } finally {
        this.deleting.delete(id);
      }
    } else if (r < 0.72) {
      const id = this.deleted.pop();
      if (id === undefined) return;
      try {
        await k('products').insert({ id, shop_id: 1, external_id: `re-${this.tag}-${id}-${++this.ext}`, name: `다시 ${id}`, price: '1.00' });
        this.model.set(id, 1);
      } catch (err) {
        if ((err as { errno?: number }).errno === 1062) return; // someone re-used it already
        this.deleted.push(id);
        throw err;
      }
    } else if (r < 0.82) {
      const id = this.pick();
      if (id === undefined) return;
      try {
        await k('product_images').insert({ product_id: id, url: `https://img/new/${id}/${++this.ext}.jpg`, position: this.ext % 5 });
      } catch (err) {
        // the other loop deleted that product meanwhile: a race of this writer's own, not a lost row (a product the
        // model still holds and nobody is deleting, missing on the side written, stays an error)
        if ((err as { errno?: number }).errno === 1452 && (this.deleting.has(id) || !this.model.has(id))) return;
        throw err;
      }
    } else if (r < 0.9) {
      // primary-key-changing UPDATE (Spirit #417)
      const [rows] = await k.raw('SELECT id FROM product_images ORDER BY RAND() LIMIT 1');
      const img = (rows as Array<{ id: number }>)[0];
      if (!img) return;
      await k('product_images').where({ id: img.id }).update({ id: 50_000_000 + ++this.pkSeq * 7 + (this.tag.charCodeAt(0) % 7) });
    } else {
      // a multi-statement transaction (the cutover must drain it, not cut it)
      await k.transaction(async (tx) => {
        const ext = `${this.tag}-tx-${++this.ext}`;
        const [id] = await tx('products').insert({ shop_id: 2, external_id: ext, name: `묶음 ${ext}`, price: '10.00', attributes: '{"x": {"z": 1, "y": 2}}' });
        await tx('product_images').insert([{ product_id: id, url: `https://img/tx/${id}/a`, position: 0 }, { product_id: id, url: `https://img/tx/${id}/b`, position: 1 }]);
        await new Promise((r) => setTimeout(r, 3));
        this.model.set(Number(id), 1);
      });
    }
  }
}

/** Product ids and versions on one side, to check against a writer's model. */
export async function productVersions(k: Knex, db: string): Promise<Map<number, number>> {
  const [rows] = await k.raw(`SELECT id, version FROM ${qq(db, 'products')}`);
  return new Map((rows as Array<{ id: string; version: string }>).map((r) => [Number(r.id), Number(r.version)]));
}

export function modelDifferences(model: Map<number, number>, actual: Map<number, number>): string[] {
  const out: string[] = [];
  for (const [id, v] of model) if (actual.get(id) !== v) out.push(`${id}: model v${v}, db ${actual.has(id) ? `v${actual.get(id)}` : 'missing'}`);
  for (const id of actual.keys()) if (!model.has(id)) out.push(`${id}: in db, not in model`);
  return out;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI as a child process (fault injection kills it with SIGKILL). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, SPLIT_REDIS: 'off', LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    const t0 = Date.now();
    child.on('close', (code, signal) => { if (process.env.SPLIT_TEST_TIMING) console.log(`  cli ${args[0]} ${env.SPLIT_FAULT ?? ''} ${Date.now() - t0} ms`); resolvePromise({ code, signal, stdout, stderr }); });
  });
}

/** The shared second mariadbd with the binlog on (skips when the binaries are missing), for a describe block. */
export function binlogServer(): () => MariaDbServer {
  let server: MariaDbServer | undefined;
  before(async function () {
    if (!mariaDbAvailable()) this.skip();
    server = await sharedMariaDb({ binlog: true });
  });
  after(async () => {
    await stopSharedMariaDb();
  });
  return () => server!;
}

/** A mariadbd with the binlog on for one describe block alone (its tests reset, purge or kill it; skips when the binaries are missing). */
export function ownBinlogServer(): () => MariaDbServer {
  let server: MariaDbServer | undefined;
  before(async function () {
    if (!mariaDbAvailable()) this.skip();
    server = await startMariaDb({ binlog: true });
  });
  after(async () => {
    await server?.stop();
  });
  return () => server!;
}
