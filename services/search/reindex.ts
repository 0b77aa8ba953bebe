/**
 * Full reindex: rebuilds the index from the product source (the product
 * service's batch API), in id order, checkpointing the last id after every
 * batch so an interrupted run resumes where it stopped. MySQL rebuilds in
 * place (version guard + sweep of what the run did not see); Elasticsearch
 * builds a new physical index and swaps the alias when done.
 */
import type { SearchBackend } from './backends/types.ts';
import type { ProductSource } from './source.ts';
import type { ReindexRun, ReindexRunStore } from './repository.ts';

export const DEFAULT_REINDEX_BATCH = 500;

export interface ReindexProgress {
  runId: string;
  processed: number;
  lastId: number;
  batches: number;
  resumed: boolean;
  status: 'done' | 'interrupted';
}

export interface ReindexOptions {
  backend: SearchBackend;
  source: ProductSource;
  runs: ReindexRunStore;
  batchSize?: number;
  /** Stops after the batch in flight (graceful shutdown); the run stays resumable. */
  signal?: AbortSignal;
  onProgress?: (p: { runId: string; processed: number; lastId: number }) => void | Promise<void>;
  /** Start a new run even if one is unfinished (the unfinished one is marked failed). */
  restart?: boolean;
}

export async function runReindex(o: ReindexOptions): Promise<ReindexProgress> {
  const batchSize = o.batchSize ?? DEFAULT_REINDEX_BATCH;
  let run: ReindexRun | null = await o.runs.running(o.backend.kind);
  const resumed = !!run && !o.restart;
  if (run && o.restart) {
    await o.runs.finish(run.id, 'failed', 'superseded by a restarted run');
    run = null;
  }
  if (!run) {
    const startedAt = new Date();
    const target = await o.backend.beginRebuild(`r${startedAt.getTime().toString(36)}${Math.random().toString(36).slice(2, 6)}`);
    run = await o.runs.create(o.backend.kind, target, startedAt);
  }
  let { lastId, processed, batches } = run;
  // A failure leaves the run 'running': the next call resumes from the last checkpoint.
  // the next batch is read while this one is written (the source and the backend are different servers, or the
  // backend writes synchronously in this process); a read that fails surfaces when its batch is due
  const read = (after: number) => {
    const p = o.source.listAfter(after, batchSize);
    p.catch(() => {}); // handled where it is awaited; not an unhandled rejection when the run stops first
    return p;
  };
  let next = read(lastId);
  for (;;) {
    if (o.signal?.aborted) return { runId: run.id, processed, lastId, batches, resumed, status: 'interrupted' };
    const docs = await next;
    if (docs.length === 0) break;
    next = read(docs[docs.length - 1].id);
    await o.backend.loadRebuild(run.target, docs);
    lastId = docs[docs.length - 1].id;
    processed += docs.length;
    batches++;
    await o.runs.checkpoint(run.id, lastId, docs.length);
    await o.onProgress?.({ runId: run.id, processed, lastId });
  }
  await o.backend.finishRebuild(run.target, run.startedAt);
  await o.runs.finish(run.id, 'done');
  return { runId: run.id, processed, lastId, batches, resumed, status: 'done' };
}
