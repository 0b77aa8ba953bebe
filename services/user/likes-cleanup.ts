/**
 * Likes of deleted products. While products and likes shared a database an FK
 * (likes.product_id → products ON DELETE CASCADE) removed them; after the
 * split they live in different databases. The product service's delete
 * records a 'deleted' event in its outbox (same transaction as the delete);
 * the relay (lib/events/relay.ts) copies such events to
 * USER_PRODUCT_DELETIONS_QUEUE, and this worker, in the user service process,
 * deletes the product's likes through the repository — so on whichever
 * database the user tables live now (LiveDb), before and after the user split.
 *
 * The event is authoritative (it commits with the delete), so the worker does
 * not ask the product service again. At-least-once: a redelivered or
 * re-published event deletes nothing the second time. Failures retry with the
 * job's exponential backoff (set by the relay); a job out of attempts stays in
 * the failed set and is logged. Until it succeeds, like lists already skip the
 * product (the product service no longer returns it).
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { productChangedSchema, USER_PRODUCT_DELETIONS_QUEUE } from '../../lib/events/queues.ts';
import type { Logger } from '../../lib/logger.ts';

export const DEFAULT_LIKES_CLEANUP_CONCURRENCY = 4;

export interface LikesCleanupOptions {
  connection: Redis;
  prefix?: string;
  queueName?: string;
  repo: { forgetProducts(productIds: number[]): Promise<number> };
  logger: Logger;
  concurrency?: number;
}

export type CleanupOutcome = { productId: number; forgotten: number } | 'ignored';

/** What one event asks for: the product whose likes go, or nothing (other kinds). Throws on a malformed message. */
export function productToForget(data: unknown): number | null {
  const parsed = productChangedSchema.safeParse(data);
  if (!parsed.success) throw new UnrecoverableError(`malformed product event: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.kind === 'deleted' ? parsed.data.productId : null;
}

export class LikesCleanupWorker {
  readonly worker: Worker;
  #forgotten = 0;

  constructor(opts: LikesCleanupOptions) {
    const log = opts.logger;
    this.worker = new Worker(opts.queueName ?? USER_PRODUCT_DELETIONS_QUEUE, async (job: Job): Promise<CleanupOutcome> => {
      const productId = productToForget(job.data);
      if (productId === null) return 'ignored';
      const forgotten = await opts.repo.forgetProducts([productId]);
      this.#forgotten += forgotten;
      if (forgotten) log.info({ productId, forgotten, jobId: job.id }, 'likes of a deleted product removed');
      return { productId, forgotten };
    }, {
      connection: opts.connection, concurrency: opts.concurrency ?? DEFAULT_LIKES_CLEANUP_CONCURRENCY, autorun: true,
      ...(opts.prefix ? { prefix: opts.prefix } : {}),
    });
    this.worker.on('failed', (job, err) => {
      if (!job) return;
      const final = err instanceof UnrecoverableError || err?.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      if (final) log.error({ err, jobId: job.id, data: job.data, attempts: job.attemptsMade }, 'likes cleanup gave up on an event (kept in the failed set)');
      else log.warn({ err: err?.message, jobId: job.id, attempt: job.attemptsMade }, 'likes cleanup failed; will retry');
    });
    this.worker.on('error', (err) => log.warn({ err }, 'likes cleanup worker error'));
  }

  /** Likes deleted by this worker since it started. */
  get forgotten(): number {
    return this.#forgotten;
  }

  /** Graceful: stops taking jobs and waits for those in flight (their deletes commit or roll back, never half done). */
  async close(): Promise<void> {
    await this.worker.close();
  }
}
