/**
 * The search indexer: a BullMQ worker on the product events queue.
 *
 * An event names a product and the version that changed; the worker fetches
 * the product's CURRENT state from the product source (batch API) and writes
 * it with a version guard. That gives per-product ordering without a
 * per-product queue: whichever event of a product is processed last, the
 * index converges on the newest version, and an older event can never
 * overwrite a newer document (the backend refuses lower versions).
 *
 * Failures retry with exponential backoff (job options set by the relay);
 * a malformed (poison) event fails at once; a job out of attempts is copied
 * to the dead-letter queue and kept in the failed set. close() lets jobs in
 * flight finish (force: their locks lapse and BullMQ returns them to wait).
 */
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { Histogram, Counter, Registry } from 'prom-client';
import type { Logger } from '../../lib/logger.ts';
import { PRODUCT_EVENTS_QUEUE, SEARCH_DEAD_LETTER_QUEUE, productChangedSchema, type ProductChangedEvent } from '../../lib/events/queues.ts';
import type { SearchBackend, SearchDocument } from './backends/types.ts';
import type { ProductSource } from './source.ts';

/** Jobs in flight per worker; they mostly wait on I/O and are written in micro-batches (EventBatcher). */
export const DEFAULT_INDEXER_CONCURRENCY = 32;
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface IndexerOptions {
  connection: Redis;
  prefix?: string;
  queueName?: string;
  deadLetterQueueName?: string;
  backend: SearchBackend;
  source: ProductSource;
  concurrency?: number;
  logger: Logger;
  registry?: Registry;
  /** BullMQ lock duration and stalled-job check (defaults 30 s): a job whose worker died returns to wait after this. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Micro-batch limits (see EventBatcher). */
  batchMax?: number;
  batchLingerMs?: number;
  /** Called after each event is applied (tests, benchmark). */
  onIndexed?: (ev: ProductChangedEvent, latencyMs: number) => void;
}

export interface IndexerMetrics {
  latency: Histogram;
  events: Counter;
}

export function indexerMetrics(registry: Registry): IndexerMetrics {
  return {
    latency: new Histogram({
      name: 'search_index_update_to_searchable_seconds',
      help: 'Time from a product change committing to the search index holding it',
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    events: new Counter({
      name: 'search_index_events_total',
      help: 'Product events handled by the search indexer, by outcome',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

/** Validates a job payload; a malformed payload will never succeed, so it must not be retried. */
export function parseEvent(data: unknown): ProductChangedEvent {
  const r = productChangedSchema.safeParse(data);
  if (!r.success) throw new UnrecoverableError(`malformed product event: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

export type ApplyOutcome = 'indexed' | 'removed' | 'stale';

/** Applies one event: fetch the product now, write it (or its removal) with the version guard. */
export async function applyEvent(ev: ProductChangedEvent, source: ProductSource, backend: SearchBackend): Promise<ApplyOutcome> {
  const [r] = await applyEvents([ev], source, backend);
  if (r instanceof Error) throw r;
  return r;
}

/**
 * Applies events together: one batch fetch from the source, one write. Per
 * event the result is an outcome, or an Error when that event must be
 * retried (the source is behind the event's version).
 */
export async function applyEvents(evs: ProductChangedEvent[], source: ProductSource, backend: SearchBackend): Promise<Array<ApplyOutcome | Error>> {
  const ids = [...new Set(evs.map((e) => e.productId))];
  const docs = new Map((await source.getMany(ids)).map((d) => [d.id, d]));
  const out: Array<ApplyOutcome | Error> = new Array(evs.length);
  const toWrite = new Map<number, SearchDocument>();
  for (let i = 0; i < evs.length; i++) {
    const ev = evs[i];
    const doc = docs.get(ev.productId);
    if (!doc) continue; // removals below
    if (doc.version < ev.version) out[i] = new Error(`product ${ev.productId}: source has version ${doc.version}, event says ${ev.version}`);
    else toWrite.set(doc.id, doc);
  }
  const written = toWrite.size ? await backend.upsert([...toWrite.values()]) : { applied: 0, stale: 0, staleIds: [] };
  const stale = new Set(written.staleIds ?? []);
  for (let i = 0; i < evs.length; i++) {
    if (out[i]) continue;
    const ev = evs[i];
    if (docs.has(ev.productId)) {
      out[i] = stale.has(ev.productId) ? 'stale' : 'indexed';
      continue;
    }
    // The source of truth no longer has it: remove at the event's version or the stored one, whichever is higher.
    const r = await backend.remove(ev.productId, ev.version, { force: true });
    out[i] = r.applied ? 'removed' : 'stale';
  }
  return out;
}

export const DEFAULT_BATCH_MAX = 100;
export const DEFAULT_BATCH_LINGER_MS = 5;

/**
 * Micro-batching across the jobs a worker runs concurrently: each job adds
 * its event and awaits its own outcome; events arriving within `lingerMs`
 * (or until `max`) are fetched and written together. Each job still
 * succeeds or fails on its own, so retries and dead letters stay per event.
 */
export class EventBatcher {
  readonly #apply: (evs: ProductChangedEvent[]) => Promise<Array<ApplyOutcome | Error>>;
  readonly #max: number;
  readonly #lingerMs: number;
  #pending: Array<{ ev: ProductChangedEvent; resolve: (o: ApplyOutcome) => void; reject: (e: unknown) => void }> = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(apply: (evs: ProductChangedEvent[]) => Promise<Array<ApplyOutcome | Error>>, opts: { max?: number; lingerMs?: number } = {}) {
    this.#apply = apply;
    this.#max = opts.max ?? DEFAULT_BATCH_MAX;
    this.#lingerMs = opts.lingerMs ?? DEFAULT_BATCH_LINGER_MS;
  }

  add(ev: ProductChangedEvent): Promise<ApplyOutcome> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ ev, resolve, reject });
      if (this.#pending.length >= this.#max) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#lingerMs);
    });
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    this.#apply(batch.map((b) => b.ev)).then((outs) => {
      batch.forEach((b, i) => (outs[i] instanceof Error ? b.reject(outs[i]) : b.resolve(outs[i] as ApplyOutcome)));
    }, (err) => {
      for (const b of batch) b.reject(err);
    });
  }
}

export class SearchIndexer {
  readonly worker: Worker;
  readonly metrics: IndexerMetrics;
  readonly registry: Registry;
  readonly #dlq: Queue;
  readonly #logger: Logger;
  #deadLettered = 0;

  constructor(opts: IndexerOptions) {
    this.#logger = opts.logger;
    this.registry = opts.registry ?? new Registry();
    this.metrics = indexerMetrics(this.registry);
    const prefix = opts.prefix ? { prefix: opts.prefix } : {};
    this.#dlq = new Queue(opts.deadLetterQueueName ?? SEARCH_DEAD_LETTER_QUEUE, { connection: opts.connection, ...prefix });
    this.#dlq.on('error', () => {});
    const batcher = new EventBatcher((evs) => applyEvents(evs, opts.source, opts.backend), { max: opts.batchMax, lingerMs: opts.batchLingerMs });
    this.worker = new Worker(opts.queueName ?? PRODUCT_EVENTS_QUEUE, async (job: Job) => {
      const ev = parseEvent(job.data);
      const outcome = await batcher.add(ev);
      const latencyMs = Date.now() - ev.changedAt;
      if (outcome !== 'stale') this.metrics.latency.observe(latencyMs / 1000);
      this.metrics.events.inc({ outcome });
      opts.onIndexed?.(ev, latencyMs);
      return outcome;
    }, {
      connection: opts.connection, concurrency: opts.concurrency ?? DEFAULT_INDEXER_CONCURRENCY, ...prefix, autorun: true,
      ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
      ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
    });
    this.worker.on('failed', (job, err) => {
      if (!job) return;
      const final = err instanceof UnrecoverableError || err?.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      this.metrics.events.inc({ outcome: final ? 'dead' : 'retry' });
      if (!final) return;
      this.#deadLettered++;
      this.#logger.error({ err, jobId: job.id, data: job.data }, 'product event dead-lettered');
      this.#dlq.add('dead', { jobId: job.id, data: job.data, error: String(err?.message ?? err), attempts: job.attemptsMade, failedAt: Date.now() },
        { jobId: `dead-${job.id}`, removeOnComplete: false, removeOnFail: false }).catch((e) => this.#logger.error({ err: e }, 'dead-letter write failed; the job stays in the failed set'));
    });
    this.worker.on('error', (err) => this.#logger.warn({ err }, 'indexer worker error'));
  }

  get deadLettered(): number {
    return this.#deadLettered;
  }

  get deadLetterQueue(): Queue {
    return this.#dlq;
  }

  /** Graceful: waits for jobs in flight. `force`: returns at once; their locks lapse and the jobs go back to wait. */
  async close(force = false): Promise<void> {
    await this.worker.close(force);
    await this.#dlq.close();
  }
}
