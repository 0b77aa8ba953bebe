/**
 * The full reindex as a BullMQ job (queue `search-maintenance`, job name
 * `reindex`): one run at a time, progress reported with job.updateProgress.
 * On shutdown the run stops after its batch in flight and the job fails with
 * attempts left, so BullMQ hands it to the next worker, which resumes the
 * same run from its checkpoint.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../lib/logger.ts';
import type { SearchBackend } from './backends/types.ts';
import type { ReindexRunStore } from './repository.ts';
import { runReindex, type ReindexProgress } from './reindex.ts';
import type { ProductSource } from './source.ts';

export const SEARCH_MAINTENANCE_QUEUE = 'search-maintenance';
export const REINDEX_JOB = 'reindex';

export interface ReindexJobData {
  restart?: boolean;
  batchSize?: number;
}

/** Enqueues a full reindex; retried (and so resumed) up to `attempts` times. */
export async function enqueueReindex(queue: Queue, data: ReindexJobData = {}, opts: { attempts?: number; backoffMs?: number; jobId?: string } = {}): Promise<Job> {
  return queue.add(REINDEX_JOB, data, {
    ...(opts.jobId ? { jobId: opts.jobId } : {}),
    attempts: opts.attempts ?? 20, backoff: { type: 'fixed', delay: opts.backoffMs ?? 5000 }, removeOnComplete: 50, removeOnFail: 50,
  });
}

export interface ReindexWorkerOptions {
  connection: Redis;
  prefix?: string;
  backend: SearchBackend;
  source: ProductSource;
  runs: ReindexRunStore;
  logger: Logger;
  batchSize?: number;
}

export class ReindexWorker {
  readonly worker: Worker;
  readonly #running = new Set<AbortController>();

  constructor(o: ReindexWorkerOptions) {
    this.worker = new Worker(SEARCH_MAINTENANCE_QUEUE, async (job: Job<ReindexJobData>): Promise<ReindexProgress> => {
      if (job.name !== REINDEX_JOB) throw new Error(`unknown search maintenance job ${job.name}`);
      const ac = new AbortController();
      this.#running.add(ac);
      try {
        const r = await runReindex({
          backend: o.backend, source: o.source, runs: o.runs, batchSize: job.data?.batchSize ?? o.batchSize,
          // only the first attempt may restart; retries resume
          restart: (job.data?.restart ?? false) && job.attemptsStarted <= 1, signal: ac.signal,
          onProgress: (p) => job.updateProgress(p),
        });
        if (r.status === 'interrupted') throw new Error(`reindex ${r.runId} interrupted at ${r.processed} documents; the next attempt resumes`);
        o.logger.info(r, 'reindex done');
        return r;
      } finally {
        this.#running.delete(ac);
      }
    }, { connection: o.connection, concurrency: 1, lockDuration: 60_000, ...(o.prefix ? { prefix: o.prefix } : {}) });
    this.worker.on('error', (err) => o.logger.warn({ err }, 'reindex worker error'));
  }

  /** Stops a run in flight after its current batch (resumable) and closes the worker. */
  async close(): Promise<void> {
    for (const ac of this.#running) ac.abort();
    await this.worker.close();
  }
}
