/**
 * The product outbox, wherever it lives. Before the product split, product
 * changes (legacy's writes and the product service's) commit their events in
 * the legacy database's `event_outbox`; after it, the product service writes
 * them in its own database's. Rows committed to the old one just before a
 * cutover (or to the product database just before a rollback) must still be
 * published.
 *
 * Choice: relay from BOTH, all the time — one lib/events OutboxRelay per
 * database. Following the ownership registry and draining the old side once
 * would also work, but needs a correct "drained" moment (a transaction that
 * committed just after the last drain would wait for the next flip); relaying
 * both has no such moment to get right, costs one idle poll per database, and
 * follows rollbacks too. SKIP LOCKED lets several relays share a table.
 *
 * The product database may not exist yet (it is created by the split, or by
 * the product service's migrations): until its `event_outbox` answers, it is
 * probed quietly every `probeMs`, then relayed. Row ids of the two tables
 * never collide in the queue's job ids: the product database's outbox counts
 * from 10^12 (migrations/product/030_event_outbox_id_range.ts).
 */
import type { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { createKnex, parseMysqlDsn, type Knex } from '../../lib/db.ts';
import { OUTBOX_TABLE } from '../../lib/events/outbox.ts';
import { OutboxRelay, type RelayOptions } from '../../lib/events/relay.ts';
import type { Logger } from '../../lib/logger.ts';
import { maskDsn } from '../../lib/mask.ts';

export interface OutboxSource {
  /** 'legacy' | 'product' (logs and counts). */
  name: string;
  /** A handle to use (not closed here) … */
  knex?: Knex;
  /** … or a DSN to open lazily (closed by stop()). */
  dsn?: string;
}

export interface OutboxRelaysOptions {
  sources: OutboxSource[];
  connection: Redis;
  prefix?: string;
  logger: Logger;
  /** How often an absent outbox is probed again. */
  probeMs?: number;
  relay?: Partial<Pick<RelayOptions, 'batchSize' | 'pollMs' | 'maxBackoffMs' | 'jobDefaults'>>;
}

interface Side {
  source: OutboxSource;
  knex?: Knex;
  owned: boolean;
  relay?: OutboxRelay;
  timer?: NodeJS.Timeout;
  probing?: Promise<void>;
}

async function probeDsn(dsn: string): Promise<void> {
  const conn = await mysql.createConnection({ ...parseMysqlDsn(dsn), connectTimeout: 2000 });
  try {
    await conn.query(`SELECT 1 FROM ${OUTBOX_TABLE} LIMIT 0`);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

export class OutboxRelays {
  readonly #o: OutboxRelaysOptions;
  readonly #sides: Side[];
  #stopped = true;

  constructor(opts: OutboxRelaysOptions) {
    this.#o = opts;
    const seen = new Set<string>();
    // the same database named twice (product tables still in the legacy database's DSN) is relayed once
    this.#sides = opts.sources.filter((s) => {
      const key = s.dsn ?? s.knex;
      if (seen.has(key as string)) return false;
      seen.add(key as string);
      return true;
    }).map((source) => ({ source, knex: source.knex, owned: !source.knex }));
  }

  /** Published since start, over all sources. */
  get published(): number {
    return this.#sides.reduce((n, s) => n + (s.relay?.published ?? 0), 0);
  }

  /** Per source: whether its outbox is being relayed, and how many events it published. */
  status(): Record<string, { relaying: boolean; published: number }> {
    return Object.fromEntries(this.#sides.map((s) => [s.source.name, { relaying: !!s.relay, published: s.relay?.published ?? 0 }]));
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    for (const s of this.#sides) this.#probe(s);
  }

  #probe(s: Side): void {
    s.timer = undefined;
    if (this.#stopped || s.relay) return;
    s.probing = (async () => {
      try {
        if (s.knex) await s.knex.raw(`SELECT 1 FROM ${OUTBOX_TABLE} LIMIT 0`);
        else {
          // a bare connection, not a pool: knex's pool would log every failed attempt while the database is missing
          await probeDsn(s.source.dsn!);
          s.knex = createKnex(s.source.dsn!, { pool: { min: 0, max: 2 } });
        }
      } catch (err) {
        if (!this.#stopped) {
          this.#o.logger.debug({ err, source: s.source.name }, 'product outbox not there yet; probing again');
          s.timer = setTimeout(() => this.#probe(s), this.#o.probeMs ?? 2000);
        }
        return;
      }
      if (this.#stopped) return;
      s.relay = new OutboxRelay({
        ...this.#o.relay, knex: s.knex, connection: this.#o.connection, prefix: this.#o.prefix,
        logger: this.#o.logger.child({ outbox: s.source.name }),
      });
      s.relay.start();
      this.#o.logger.info({ source: s.source.name, db: s.source.dsn ? maskDsn(s.source.dsn) : undefined }, 'relaying the product outbox of this database');
    })();
  }

  /** Skips the idle wait of every relay. */
  wake(): void {
    for (const s of this.#sides) s.relay?.wake();
  }

  /** Deletes rows published before `olderThanMs` ago in every relayed outbox. */
  async purgePublished(olderThanMs: number): Promise<number> {
    let n = 0;
    for (const s of this.#sides) if (s.relay) n += await s.relay.purgePublished(olderThanMs);
    return n;
  }

  /** Stops probing; each relay finishes its batch in flight; closes the handles it opened. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const s of this.#sides) {
      if (s.timer) clearTimeout(s.timer);
      s.timer = undefined;
    }
    await Promise.all(this.#sides.map((s) => s.probing));
    await Promise.all(this.#sides.map((s) => s.relay?.stop()));
    for (const s of this.#sides) {
      s.relay = undefined;
      if (s.owned && s.knex) await s.knex.destroy();
      if (s.owned) s.knex = undefined;
    }
  }
}
