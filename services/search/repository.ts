/**
 * Search-service tables other than the index itself: checkpoints of full
 * reindex runs (migrations/search 001, reindex_runs). The index table is the
 * MySQL backend's own business (backends/mysql-fulltext.ts).
 */
import type { Knex } from 'knex';
import type { RebuildTarget } from './backends/types.ts';

export interface ReindexRun {
  id: string;
  backend: string;
  target: RebuildTarget;
  status: 'running' | 'done' | 'failed';
  lastId: number;
  processed: number;
  batches: number;
  startedAt: Date;
}

interface RunRow {
  id: string; backend: string; target: string; status: ReindexRun['status']; last_id: number | string; processed: number | string;
  batches: number; started_at: string;
}

function fromRow(r: RunRow): ReindexRun {
  return {
    id: r.id, backend: r.backend, target: { runId: r.id, target: r.target }, status: r.status, lastId: Number(r.last_id),
    processed: Number(r.processed), batches: Number(r.batches), startedAt: new Date(`${r.started_at.replace(' ', 'T')}Z`),
  };
}

const dbTime = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');

export class ReindexRunStore {
  readonly #knex: Knex;
  constructor(knex: Knex) {
    this.#knex = knex;
  }

  async running(backend: string): Promise<ReindexRun | null> {
    const r = await this.#knex('reindex_runs').where({ backend, status: 'running' }).orderBy('started_at', 'desc').first();
    return r ? fromRow(r as RunRow) : null;
  }

  async get(id: string): Promise<ReindexRun | null> {
    const r = await this.#knex('reindex_runs').where({ id }).first();
    return r ? fromRow(r as RunRow) : null;
  }

  async create(backend: string, target: RebuildTarget, startedAt: Date): Promise<ReindexRun> {
    await this.#knex('reindex_runs').insert({ id: target.runId, backend, target: target.target, status: 'running', started_at: dbTime(startedAt) });
    return (await this.get(target.runId))!;
  }

  /** Saved after a batch is written: a resumed run continues after `lastId` (a batch may be written twice; writes are idempotent). */
  async checkpoint(id: string, lastId: number, added: number): Promise<void> {
    await this.#knex('reindex_runs').where({ id, status: 'running' }).update({
      last_id: lastId, processed: this.#knex.raw('processed + ?', [added]), batches: this.#knex.raw('batches + 1'),
    });
  }

  async finish(id: string, status: 'done' | 'failed', error?: string): Promise<void> {
    await this.#knex('reindex_runs').where({ id }).update({ status, error: error?.slice(0, 500) ?? null, finished_at: dbTime(new Date()) });
  }
}
