/**
 * The fault harness's concurrent writer: an application that follows the
 * ownership registry (writes go to the side that owns the product domain)
 * and does bounded random INSERT / UPDATE / key-changing UPDATE / DELETE /
 * re-INSERT of deleted keys / multi-row transactions on the moved tables
 * (categories, products, product_images). Before each COMMIT it re-reads
 * every row it touched in the same transaction (exact text of every column,
 * row-image.ts) and, once the COMMIT returned, records those images as the
 * expected final state: an expectation independent of the tool.
 *
 * Each loop owns its own keys (products by id, images through their product,
 * categories it created), so no two loops touch the same row and the order of
 * recorded commits per key is the order of the commits. A COMMIT whose outcome
 * is unknown (connection lost while committing) marks its keys uncertain.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import mysql from 'mysql2/promise';
import { createKnex, parseMysqlDsn, type Knex } from '../../../../lib/db.ts';
import { createMysqlOwnershipRegistry, type MysqlOwnershipRegistry } from '../../../../lib/ownership/index.ts';
import { describeTable, ident, imageSelect, keyOf, toImage, type ImageTable, type RowImage } from './row-image.ts';

export const DEFAULT_WRITER_LOOPS = 2;
export const DEFAULT_WRITER_DELAY_MS = 2;
export const WRITER_TABLES = ['categories', 'products', 'product_images'] as const;
/** Errors a fenced side answers with (trigger SIGNAL 45000, read-only, denied): the write did not happen; retry where ownership says. */
export const FENCED_ERRNOS = new Set([1644, 1290, 1036, 1142, 1223]);
/** Transient: the statement or transaction was rolled back (deadlock, lock wait timeout, KILL QUERY); retry. */
export const RETRY_ERRNOS = new Set([1213, 1205, 1317]);
export const PRODUCT_KEY_BASE = 40_000_000;
export const IMAGE_KEY_BASE = 50_000_000;
export const CATEGORY_KEY_BASE = 30_000_000;
const CONNECTION_LOST = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_CONNECTION_KILLED', 'ER_SERVER_SHUTDOWN']);

export interface WriterOptions {
  sourceDsn: string;
  targetDsn: string;
  /** Database holding service_ownership (default: the source). */
  ownershipDsn?: string;
  domain?: string;
  loops?: number;
  delayMs?: number;
  /** Stop each loop after this many committed transactions (default: unbounded until stop()). */
  maxOpsPerLoop?: number;
  /** Append every committed row image as one JSON line. */
  logPath?: string;
  /** Distinguishes this writer's external ids and slugs from another's. */
  tag?: string;
  /**
   * Share of product writes whose sale price is far above the price: the VIRTUAL
   * discount_rate is then out of range, a row the application could write but a
   * strict-mode REPLACE of every column cannot (defect #6, poison row). Default 0.
   */
  poisonRate?: number;
  /**
   * `full` (default): DOUBLEs that need all 17 digits, 5e-324, 2^53+2 …;
   * `js-safe`: only short dyadic values every number parser reads exactly
   * (for runs that must get past defect #2 to test something else).
   */
  values?: 'full' | 'js-safe';
}

export interface WriterStats {
  commits: number;
  inserts: number;
  updates: number;
  keyChanges: number;
  deletes: number;
  reinserts: number;
  fenced: number;
  retried: number;
  uncertain: number;
  onTarget: number;
}

type Change = { table: string; key: string; image: RowImage | null };

interface LoopState {
  i: number;
  products: Set<number>;
  /** image id → product id */
  images: Map<number, number>;
  deletedProducts: number[];
  categories: Set<number>;
  seq: number;
  /** What the current transaction does (named in error messages). */
  op: string;
}

export class CommittedWriter {
  /** table → key → last committed image (null: deleted). */
  readonly expected = new Map<string, Map<string, RowImage | null>>();
  /** table → keys whose last COMMIT had an unknown outcome (connection lost while committing: counted, not an error). */
  readonly uncertain = new Map<string, Set<string>>();
  readonly stats: WriterStats = { commits: 0, inserts: 0, updates: 0, keyChanges: 0, deletes: 0, reinserts: 0, fenced: 0, retried: 0, uncertain: 0, onTarget: 0 };
  readonly errors: string[] = [];
  private readonly src: mysql.Pool;
  private readonly dst: mysql.Pool;
  private readonly regKnex: Knex;
  private readonly srcDb: string;
  private readonly dstDb: string;
  private reg!: MysqlOwnershipRegistry;
  private tables = new Map<string, ImageTable>();
  private running: Promise<void>[] = [];
  private stopped = false;
  private log?: WriteStream;
  private readonly o: Required<Omit<WriterOptions, 'logPath' | 'ownershipDsn' | 'maxOpsPerLoop'>> & Pick<WriterOptions, 'logPath' | 'maxOpsPerLoop'>;

  constructor(opts: WriterOptions) {
    this.o = { domain: 'product', loops: DEFAULT_WRITER_LOOPS, delayMs: DEFAULT_WRITER_DELAY_MS, tag: 'w', poisonRate: 0, values: 'full', ...opts };
    if (!Number.isInteger(this.o.loops) || this.o.loops < 1) throw new Error('writer: loops must be a positive integer');
    this.src = openPool(opts.sourceDsn, this.o.loops + 1);
    this.dst = openPool(opts.targetDsn, this.o.loops + 1);
    this.regKnex = createKnex(opts.ownershipDsn ?? opts.sourceDsn, { pool: { max: 2 } });
    this.srcDb = parseMysqlDsn(opts.sourceDsn).database!;
    this.dstDb = parseMysqlDsn(opts.targetDsn).database!;
  }

  /** Reads the existing keys (from the side that owns them now), splits them among the loops and starts writing. */
  async start(): Promise<void> {
    this.reg = await createMysqlOwnershipRegistry({ knex: this.regKnex, pollMs: 20 });
    for (const t of WRITER_TABLES) this.tables.set(t, await describeTable(this.src, this.srcDb, t));
    if (this.o.logPath) this.log = createWriteStream(this.o.logPath, { flags: 'a' });
    const { k, db } = this.side();
    await raiseCounters(k, db);
    const [prows] = await k.query(`SELECT id FROM ${ident(db)}.products`);
    const [irows] = await k.query(`SELECT id, product_id FROM ${ident(db)}.product_images`);
    const loops: LoopState[] = Array.from({ length: this.o.loops }, (_, i) => ({ i, products: new Set(), images: new Map(), deletedProducts: [], categories: new Set(), seq: 0, op: '' }));
    const owner = (pid: number) => loops[pid % loops.length];
    for (const r of prows as Array<{ id: string }>) owner(Number(r.id)).products.add(Number(r.id));
    for (const r of irows as Array<{ id: string; product_id: string }>) owner(Number(r.product_id)).images.set(Number(r.id), Number(r.product_id));
    for (const l of loops) this.running.push(this.loop(l));
  }

  /** Stops the loops after their current transaction and closes every connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.running);
    await this.reg?.close();
    await new Promise<void>((r) => (this.log ? this.log.end(r) : r()));
    await Promise.all([this.src.end(), this.dst.end(), this.regKnex.destroy()]);
  }

  /** Waits until `n` more transactions committed. */
  async more(n: number, timeoutMs = 20_000): Promise<void> {
    const goal = this.stats.commits + n;
    const deadline = Date.now() + timeoutMs;
    while (this.stats.commits < goal) {
      if (Date.now() > deadline) throw new Error(`writer stalled at ${this.stats.commits} commits (fenced ${this.stats.fenced}); errors: ${this.errors.slice(-3).join(' | ')}`);
      if (this.running.length && this.stopped) throw new Error('writer stopped');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Committed changes recorded so far (keys in the expectation). */
  get keys(): number {
    let n = 0;
    for (const m of this.expected.values()) n += m.size;
    return n;
  }

  private dbl(): number {
    return this.o.values === 'js-safe' ? Math.floor(Math.random() * 8_000_000) / 8 : pickDouble();
  }

  private prices(): [string, string | null] {
    return pickPrices(this.o.poisonRate);
  }

  private side(): { k: mysql.Pool; db: string; target: boolean } {
    const own = this.reg.get(this.o.domain as Parameters<MysqlOwnershipRegistry['get']>[0]).database === 'own';
    return own ? { k: this.dst, db: this.dstDb, target: true } : { k: this.src, db: this.srcDb, target: false };
  }

  private async loop(l: LoopState): Promise<void> {
    let ops = 0;
    while (!this.stopped && (this.o.maxOpsPerLoop === undefined || ops < this.o.maxOpsPerLoop)) {
      if (await this.once(l)) ops++;
      if (this.o.delayMs) await new Promise((r) => setTimeout(r, this.o.delayMs));
    }
  }

  /** One random transaction; true when it committed. */
  private async once(l: LoopState): Promise<boolean> {
    const { k, db, target } = this.side();
    let trx: mysql.PoolConnection;
    try {
      trx = await k.getConnection();
      await trx.beginTransaction();
    } catch (err) {
      this.stats.retried++;
      if (this.errors.length < 100) this.errors.push(`connect: ${(err as Error).message.slice(0, 200)}`);
      return false;
    }
    const changes: Change[] = [];
    const undo: Array<() => void> = [];
    const image = async (table: string, where: string): Promise<void> => {
      const t = this.tables.get(table)!;
      const [rows] = await trx.query(imageSelect(t, db, where));
      for (const r of rows as Array<Record<string, unknown>>) {
        const img = toImage(t, r);
        changes.push({ table, key: keyOf(t, img), image: img });
      }
    };
    const gone = (table: string, key: Array<string | number>) => changes.push({ table, key: JSON.stringify(key.map(String)), image: null });
    try {
      await this.step(l, trx, db, image, gone, undo);
    } catch (err) {
      for (const u of undo.reverse()) u();
      const e = err as { errno?: number; code?: string; sqlState?: string; message?: string };
      if (e.code && CONNECTION_LOST.has(e.code)) trx.destroy();
      else {
        await trx.rollback().catch(() => undefined);
        trx.release();
      }
      if ((e.errno !== undefined && FENCED_ERRNOS.has(e.errno)) || e.sqlState === '45000') {
        this.stats.fenced++;
        await this.reg.refresh().catch(() => undefined);
      } else if ((e.errno !== undefined && RETRY_ERRNOS.has(e.errno)) || (e.code && CONNECTION_LOST.has(e.code))) {
        this.stats.retried++;
      } else {
        this.errors.push(`${target ? 'target' : 'source'} ${l.op}: ${String(e.message).slice(0, 300)}`);
      }
      return false;
    }
    if (!changes.length) {
      await trx.rollback().catch(() => undefined);
      trx.release();
      return false;
    }
    try {
      await trx.commit();
      trx.release();
    } catch (err) {
      trx.destroy();
      // the COMMIT was sent: it may or may not have happened
      this.stats.uncertain++;
      for (const c of changes) {
        const u = this.uncertain.get(c.table) ?? new Set<string>();
        u.add(c.key);
        this.uncertain.set(c.table, u);
      }
      // never touch these keys again (the loop's model of them may be wrong); they are left out of the expectation
      for (const c of changes) {
        const id = Number(JSON.parse(c.key)[0]);
        if (c.table === 'products') {
          l.products.delete(id);
          l.deletedProducts = l.deletedProducts.filter((x) => x !== id);
        }
        else if (c.table === 'product_images') l.images.delete(id);
        else l.categories.delete(id);
      }
      return false;
    }
    this.stats.commits++;
    if (target) this.stats.onTarget++;
    const at = Date.now();
    for (const c of changes) {
      let m = this.expected.get(c.table);
      if (!m) this.expected.set(c.table, (m = new Map()));
      m.set(c.key, c.image);
      this.uncertain.get(c.table)?.delete(c.key);
      this.log?.write(`${JSON.stringify({ at, loop: l.i, side: target ? 'target' : 'source', ...c })}\n`);
    }
    return true;
  }

  private async step(l: LoopState, trx: mysql.PoolConnection, db: string, image: (t: string, where: string) => Promise<void>, gone: (t: string, key: Array<string | number>) => void, undo: Array<() => void>): Promise<void> {
    const P = `${ident(db)}.${ident('products')}`;
    const I = `${ident(db)}.${ident('product_images')}`;
    const C = `${ident(db)}.${ident('categories')}`;
    const tag = `${this.o.tag}${l.i}-${++l.seq}`;
    const pick = <T>(xs: Iterable<T>): T | undefined => {
      const a = [...xs];
      return a.length ? a[Math.floor(Math.random() * a.length)] : undefined;
    };
    const imagesOf = (pid: number) => [...l.images].filter(([, p]) => p === pid).map(([id]) => id);
    // new keys of key-changing updates count down from a base: below every auto-increment value (start() raised the
    // counters above the bases), never reused by an INSERT
    const freshId = (base: number) => base - l.seq * this.o.loops - l.i;
    const r = Math.random();
    if (r < 0.18) {
      l.op = 'insert product';
      const [res] = await trx.query(`INSERT INTO ${P} (shop_id, category_id, external_id, name, description, price, sale_price, status, attributes, popularity_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [1 + (l.seq % 3), l.seq % 2 ? 2 : null, `h-${tag}`, `새 상품 ${tag} 🎉`, pickText(), ...this.prices(), pickStatus(), pickJson(), this.dbl()]);
      const id = Number((res as { insertId: number }).insertId);
      await image('products', `id = ${id}`);
      l.products.add(id);
      undo.push(() => l.products.delete(id));
      this.stats.inserts++;
    } else if (r < 0.45) {
      l.op = 'update product';
      const id = pick(l.products);
      if (id === undefined) return;
      await trx.query(`UPDATE ${P} SET version = version + 1, name = ?, description = ?, price = ?, sale_price = ?, status = ?, attributes = ?, popularity_score = ?, view_count = view_count + 1 WHERE id = ?`,
        [`수정 ${tag} 😀`, pickText(), ...this.prices(), pickStatus(), pickJson(), this.dbl(), id]);
      await image('products', `id = ${id}`);
      this.stats.updates++;
    } else if (r < 0.52) {
      l.op = 'change a product key';
      // key-changing UPDATE of a product without images (the images' FK would refuse it)
      const id = pick([...l.products].filter((p) => imagesOf(p).length === 0));
      if (id === undefined) return;
      const to = freshId(PRODUCT_KEY_BASE);
      await trx.query(`UPDATE ${P} SET id = ? WHERE id = ?`, [to, id]);
      gone('products', [id]);
      await image('products', `id = ${to}`);
      l.products.delete(id);
      l.products.add(to);
      undo.push(() => { l.products.delete(to); l.products.add(id); });
      this.stats.keyChanges++;
    } else if (r < 0.6) {
      l.op = 'delete product';
      // DELETE, half of the time this loop's newest product (top of the table: auto-increment reuse)
      const id = Math.random() < 0.5 ? Math.max(-1, ...l.products) : pick(l.products);
      if (id === undefined || id < 0) return;
      const imgs = imagesOf(id);
      if (imgs.length) await trx.query(`DELETE FROM ${I} WHERE id IN (${imgs.join(',')})`);
      const [res] = await trx.query(`DELETE FROM ${P} WHERE id = ?`, [id]);
      if (Number((res as { affectedRows: number }).affectedRows) !== 1) throw new Error(`writer model out of step: product ${id} was not there to delete`);
      for (const img of imgs) gone('product_images', [img]);
      gone('products', [id]);
      l.products.delete(id);
      for (const img of imgs) l.images.delete(img);
      l.deletedProducts.push(id);
      undo.push(() => { l.products.add(id); for (const img of imgs) l.images.set(img, id); l.deletedProducts.pop(); });
      this.stats.deletes++;
    } else if (r < 0.66) {
      l.op = 're-insert a deleted product key';
      const id = l.deletedProducts.pop();
      if (id === undefined) return;
      undo.push(() => l.deletedProducts.push(id));
      await trx.query(`INSERT INTO ${P} (id, shop_id, external_id, name, price, popularity_score) VALUES (?, 1, ?, ?, '1.00', ?)`, [id, `re-${tag}`, `다시 ${id}`, this.dbl()]);
      await image('products', `id = ${id}`);
      l.products.add(id);
      undo.push(() => l.products.delete(id));
      this.stats.reinserts++;
    } else if (r < 0.76) {
      l.op = 'insert image';
      const pid = pick(l.products);
      if (pid === undefined) return;
      const [res] = await trx.query(`INSERT INTO ${I} (product_id, url, position) VALUES (?, ?, ?)`, [pid, `https://img/h/${tag}.jpg`, l.seq % 5]);
      const id = Number((res as { insertId: number }).insertId);
      await image('product_images', `id = ${id}`);
      l.images.set(id, pid);
      undo.push(() => l.images.delete(id));
      this.stats.inserts++;
    } else if (r < 0.82) {
      l.op = 'change an image key';
      // primary-key-changing UPDATE of an image (Spirit #417)
      const id = pick(l.images.keys());
      if (id === undefined) return;
      const pid = l.images.get(id)!;
      const to = freshId(IMAGE_KEY_BASE);
      await trx.query(`UPDATE ${I} SET id = ?, position = position + 1 WHERE id = ?`, [to, id]);
      gone('product_images', [id]);
      await image('product_images', `id = ${to}`);
      l.images.delete(id);
      l.images.set(to, pid);
      undo.push(() => { l.images.delete(to); l.images.set(id, pid); });
      this.stats.keyChanges++;
    } else if (r < 0.86) {
      l.op = 'delete image';
      const id = pick(l.images.keys());
      if (id === undefined) return;
      const pid = l.images.get(id)!;
      await trx.query(`DELETE FROM ${I} WHERE id = ?`, [id]);
      gone('product_images', [id]);
      l.images.delete(id);
      undo.push(() => l.images.set(id, pid));
      this.stats.deletes++;
    } else if (r < 0.93) {
      l.op = 'category';
      // categories this loop created: insert, rename, key change, delete (never referenced by products)
      const c = pick(l.categories);
      const q = Math.random();
      if (c === undefined || q < 0.35) {
        const [res] = await trx.query(`INSERT INTO ${C} (parent_id, name, slug) VALUES (?, ?, ?)`, [Math.random() < 0.5 ? 1 : null, `분류 ${tag}`, `c-${tag}`]);
        const id = Number((res as { insertId: number }).insertId);
        await image('categories', `id = ${id}`);
        l.categories.add(id);
        undo.push(() => l.categories.delete(id));
        this.stats.inserts++;
      } else if (q < 0.7) {
        await trx.query(`UPDATE ${C} SET name = ?, slug = ? WHERE id = ?`, [`이름 ${tag} ✨`, `c-${tag}`, c]);
        await image('categories', `id = ${c}`);
        this.stats.updates++;
      } else if (q < 0.85) {
        const to = freshId(CATEGORY_KEY_BASE);
        await trx.query(`UPDATE ${C} SET id = ? WHERE id = ?`, [to, c]);
        gone('categories', [c]);
        await image('categories', `id = ${to}`);
        l.categories.delete(c);
        l.categories.add(to);
        undo.push(() => { l.categories.delete(to); l.categories.add(c); });
        this.stats.keyChanges++;
      } else {
        await trx.query(`DELETE FROM ${C} WHERE id = ?`, [c]);
        gone('categories', [c]);
        l.categories.delete(c);
        undo.push(() => l.categories.add(c));
        this.stats.deletes++;
      }
    } else {
      l.op = 'multi-statement transaction';
      // a multi-statement transaction held open a moment (the cutover must drain it, not cut it)
      const [res] = await trx.query(`INSERT INTO ${P} (shop_id, external_id, name, price, attributes) VALUES (2, ?, ?, '10.00', ?)`, [`tx-${tag}`, `묶음 ${tag}`, '{"x": {"z": 1, "y": 2}}']);
      const pid = Number((res as { insertId: number }).insertId);
      await trx.query(`INSERT INTO ${I} (product_id, url, position) VALUES (?, ?, 0), (?, ?, 1)`, [pid, `https://img/tx/${tag}/a`, pid, `https://img/tx/${tag}/b`]);
      const id = pick(l.products);
      if (id !== undefined) {
        await trx.query(`UPDATE ${P} SET like_count = like_count + 1 WHERE id = ?`, [id]);
        await image('products', `id = ${id}`);
      }
      await image('products', `id = ${pid}`);
      await image('product_images', `product_id = ${pid}`);
      const [ids] = await trx.query(`SELECT id FROM ${I} WHERE product_id = ?`, [pid]);
      l.products.add(pid);
      for (const x of ids as Array<{ id: string }>) l.images.set(Number(x.id), pid);
      undo.push(() => { l.products.delete(pid); for (const x of ids as Array<{ id: string }>) l.images.delete(Number(x.id)); });
      await new Promise((res2) => setTimeout(res2, 3));
      this.stats.inserts++;
    }
  }
}

/** The key base of each table's key-changing updates (fresh keys count down from it). */
export const KEY_BASES: Record<(typeof WRITER_TABLES)[number], number> = { products: PRODUCT_KEY_BASE, product_images: IMAGE_KEY_BASE, categories: CATEGORY_KEY_BASE };

/**
 * Raises each table's AUTO_INCREMENT above its key base, before the first write.
 * An UPDATE that sets an AUTO_INCREMENT column above the counter moves the
 * counter (MariaDB ≥ 10.2.4, MySQL 8): after one loop changed a key to
 * base − 21, INSERTs got base − 20, base − 19 … — fresh keys another loop
 * (its seq lagging) still changes a row to, or keys deleted and re-inserted
 * later: "Duplicate entry" from the application's own model, no tool involved.
 * With every counter above the base, INSERT keys and fresh keys never meet
 * (the tool carries the counters to the other side only upwards).
 */
async function raiseCounters(k: mysql.Pool, db: string): Promise<void> {
  for (const [table, base] of Object.entries(KEY_BASES)) {
    const [rows] = await k.query('SELECT AUTO_INCREMENT AS ai FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [db, table]);
    const ai = (rows as Array<{ ai: string | number | null }>)[0]?.ai;
    if (ai !== undefined && ai !== null && Number(ai) > base) continue;
    await k.query(`ALTER TABLE ${ident(db)}.${ident(table)} AUTO_INCREMENT = ${base + 1}`);
  }
}

/** A price and a sale price below it (or NULL); with `poison`, now and then a sale price far above it. Pure. */
export function pickPrices(poison: number): [string, string | null] {
  const cents = 100 + Math.floor(Math.random() * 900_000_000);
  const r = Math.random();
  if (r < poison) return [fmt(cents), fmt(cents * 20)]; // discount_rate (DECIMAL(5,2) VIRTUAL) out of range: defect #6; ×20 keeps sale_price (DECIMAL(12,2)) in range
  if (r < 0.35) return [fmt(cents), null];
  return [fmt(cents), fmt(Math.floor(cents * Math.random()))];
}

function fmt(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}


const STATUSES = ['active', 'hidden', 'sold_out'];
function pickStatus(): string {
  return STATUSES[Math.floor(Math.random() * STATUSES.length)];
}

/** NULL, '' and text with 4-byte characters (NULL vs '' must survive). */
function pickText(): string | null {
  const r = Math.random();
  return r < 0.2 ? null : r < 0.35 ? '' : `설명 ${'가'.repeat(Math.floor(Math.random() * 30))} 🧵 ${Math.random().toString(36).slice(2)}`;
}

function pickJson(): string | null {
  const r = Math.random();
  return r < 0.2 ? null : JSON.stringify({ t: Date.now(), k: '한글', n: Math.random(), deep: { a: [1, 2, { b: null }] } });
}

/** Doubles that do not survive a 6- or 15-digit print: every bit counts. */
function pickDouble(): number {
  const r = Math.random();
  if (r < 0.2) return 0.1 + 0.2; // 0.30000000000000004
  if (r < 0.3) return 16777217;
  if (r < 0.4) return Number.MAX_SAFE_INTEGER + 2;
  if (r < 0.5) return 5e-324;
  return Math.random() * 10 ** Math.floor(Math.random() * 12);
}

/** The writer's own pool: exact strings for big numbers, UTC, no multi-statements (like the application). */
function openPool(dsn: string, max: number): mysql.Pool {
  const c = parseMysqlDsn(dsn);
  return mysql.createPool({
    host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, connectionLimit: max,
    charset: 'utf8mb4', timezone: 'Z', dateStrings: true, supportBigNumbers: true, bigNumberStrings: true,
  });
}
