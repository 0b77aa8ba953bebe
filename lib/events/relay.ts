/**
 * Outbox relay: moves committed outbox rows to BullMQ, then marks them
 * published, in one database transaction per batch:
 *
 *   BEGIN; SELECT … WHERE published_at IS NULL ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED;
 *   queue.addBulk(jobs with job id evt-<row id>);  UPDATE … SET published_at; COMMIT
 *
 * If Redis is down the add fails and the transaction rolls back: the rows
 * stay and are retried with backoff. If the process dies after the add and
 * before COMMIT, the rows are published again and BullMQ drops the
 * duplicates by job id (at-least-once; consumers are idempotent anyway).
 * Several relays may run: SKIP LOCKED hands each batch to one of them.
 *
 * Fan-out: BullMQ queues are work queues (one consumer group each), so an
 * event another consumer needs is also added to that consumer's queue, with
 * the same job id (re-publishes dedupe there too). By default 'deleted'
 * events also go to USER_PRODUCT_DELETIONS_QUEUE (the user service removes
 * the likes of deleted products; see docs/services.md). All adds happen before
 * the rows are marked, so a failed add on any queue retries the whole batch.
 */
import { Queue } from 'bullmq';
import type { Knex } from 'knex';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';
import { OUTBOX_TABLE, PRODUCT_CHANGED, type OutboxRow } from './outbox.ts';
import { DEFAULT_EVENT_JOB, eventJobOptionsFor, PRODUCT_EVENTS_QUEUE, USER_PRODUCT_DELETIONS_QUEUE, type EventJobDefaults, type ProductChangedEvent } from './queues.ts';

export const DEFAULT_RELAY_BATCH = 200;
export const DEFAULT_RELAY_POLL_MS = 100;
export const DEFAULT_RELAY_MAX_BACKOFF_MS = 5000;

/** A further queue that gets the events of some kinds (besides the main queue, which gets every event). */
export interface FanOutRoute {
  queueName: string;
  kinds: string[];
}

export const DEFAULT_FAN_OUT: FanOutRoute[] = [{ queueName: USER_PRODUCT_DELETIONS_QUEUE, kinds: ['deleted'] }];

export interface RelayOptions {
  knex: Knex;
  connection: Redis;
  prefix?: string;
  queueName?: string;
  batchSize?: number;
  pollMs?: number;
  maxBackoffMs?: number;
  jobDefaults?: EventJobDefaults;
  /** Further queues by event kind (default DEFAULT_FAN_OUT; [] for none). */
  fanOut?: FanOutRoute[];
  logger: Logger;
  /** Failure-injection point for tests: runs after the jobs are added, before the rows are marked and committed. */
  beforeCommit?: (rowIds: number[]) => void | Promise<void>;
}

/** created_at 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC) → epoch ms. */
export function dbTimeToMs(value: string): number {
  const ms = Date.parse(`${value.replace(' ', 'T').slice(0, 23)}Z`);
  if (Number.isNaN(ms)) throw new Error(`bad outbox timestamp ${value}`);
  return ms;
}

export function outboxRowToEvent(row: OutboxRow): ProductChangedEvent {
  let meta: Record<string, unknown> | undefined;
  if (row.payload) {
    const parsed = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) meta = parsed as Record<string, unknown>;
  }
  return {
    eventId: Number(row.id), productId: Number(row.aggregate_id), version: Number(row.version), kind: row.kind,
    changedAt: dbTimeToMs(row.created_at), ...(meta ? { meta } : {}),
  };
}

export class OutboxRelay {
  readonly #o: Required<Omit<RelayOptions, 'prefix' | 'beforeCommit'>> & Pick<RelayOptions, 'prefix' | 'beforeCommit'>;
  readonly #queue: Queue;
  readonly #fanOut: { queue: Queue; kinds: Set<string> }[];
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  #published = 0;
  #failures = 0;

  constructor(opts: RelayOptions) {
    this.#o = {
      queueName: PRODUCT_EVENTS_QUEUE, batchSize: DEFAULT_RELAY_BATCH, pollMs: DEFAULT_RELAY_POLL_MS,
      maxBackoffMs: DEFAULT_RELAY_MAX_BACKOFF_MS, jobDefaults: DEFAULT_EVENT_JOB, fanOut: DEFAULT_FAN_OUT, ...opts,
    };
    const queue = (name: string) => {
      const q = new Queue(name, { connection: opts.connection, ...(opts.prefix ? { prefix: opts.prefix } : {}) });
      q.on('error', () => {}); // surfaced through publishBatch failures
      return q;
    };
    this.#queue = queue(this.#o.queueName);
    this.#fanOut = this.#o.fanOut.map((r) => ({ queue: queue(r.queueName), kinds: new Set(r.kinds) }));
  }

  get published(): number {
    return this.#published;
  }

  /** Publishes one batch; returns how many rows were published. Throws when Redis or MySQL fails (rows stay). */
  async publishBatch(): Promise<number> {
    return this.#o.knex.transaction(async (trx) => {
      const rows = (await trx(OUTBOX_TABLE)
        .select('id', 'topic', 'aggregate_id', 'version', 'kind', 'payload', 'created_at')
        .whereNull('published_at')
        .orderBy('id')
        .limit(this.#o.batchSize)
        .forUpdate()
        .skipLocked()) as OutboxRow[];
      if (rows.length === 0) return 0;
      const jobs = rows.filter((r) => r.topic === PRODUCT_CHANGED).map((r) => {
        const data = outboxRowToEvent(r);
        return { name: r.topic, data, opts: eventJobOptionsFor(data, this.#o.jobDefaults) };
      });
      await this.#queue.addBulk(jobs);
      for (const f of this.#fanOut) {
        const routed = jobs.filter((j) => f.kinds.has(j.data.kind));
        if (routed.length) await f.queue.addBulk(routed);
      }
      await this.#o.beforeCommit?.(rows.map((r) => Number(r.id)));
      const now = new Date().toISOString().replace('T', ' ').replace('Z', '');
      await trx(OUTBOX_TABLE).whereIn('id', rows.map((r) => r.id)).update({ published_at: now });
      return rows.length;
    });
  }

  /** Runs until stop(): publishes while rows are waiting, polls when idle, backs off on failures. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        let n = 0;
        try {
          n = await this.publishBatch();
          this.#published += n;
          if (this.#failures) this.#o.logger.info({ failures: this.#failures }, 'outbox relay recovered');
          this.#failures = 0;
        } catch (err) {
          this.#failures++;
          if (this.#failures === 1 || this.#failures % 20 === 0) this.#o.logger.warn({ err, failures: this.#failures }, 'outbox relay: publish failed, rows kept');
        }
        if (!this.#running) break;
        if (n >= this.#o.batchSize) continue;
        const delay = this.#failures ? Math.min(this.#o.pollMs * 2 ** this.#failures, this.#o.maxBackoffMs) : this.#o.pollMs;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, delay);
          this.#wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.#wake = null;
      }
    })();
  }

  /** Skips the idle wait (call after committing a change when producer and relay share a process). */
  wake(): void {
    this.#wake?.();
  }

  /** Stops after the batch in flight (committed or rolled back, never half done). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
    await Promise.all([this.#queue.close(), ...this.#fanOut.map((f) => f.queue.close())]);
  }

  /** Deletes rows published before `olderThanMs` ago, in chunks; returns how many. */
  async purgePublished(olderThanMs: number, chunk = 5000): Promise<number> {
    const before = new Date(Date.now() - olderThanMs).toISOString().replace('T', ' ').replace('Z', '');
    let total = 0;
    for (;;) {
      const res = await this.#o.knex.raw(`DELETE FROM ${OUTBOX_TABLE} WHERE published_at IS NOT NULL AND published_at < ? ORDER BY id LIMIT ?`, [before, chunk]);
      const n = Number((res as [{ affectedRows: number }])[0]?.affectedRows ?? 0);
      total += n;
      if (n < chunk) return total;
    }
  }
}
