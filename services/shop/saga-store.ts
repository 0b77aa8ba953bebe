import type { LiveDb } from '../common/live-db.ts';
import type { SagaRecord, SagaStore } from '../common/saga.ts';

/** SagaStore on the shop service's `saga_log` table (migrations 020_saga_log). */
export class SqlSagaStore implements SagaStore {
  readonly db: LiveDb;
  constructor(db: LiveDb) {
    this.db = db;
  }

  async create(rec: Omit<SagaRecord<unknown>, 'id'>): Promise<number> {
    const [id] = await this.db.current()('saga_log').insert({
      type: rec.type, saga_key: rec.key, status: rec.status, step: rec.step, context: JSON.stringify(rec.context), error: rec.error,
    });
    return Number(id);
  }

  async update(id: number, patch: Partial<Omit<SagaRecord<unknown>, 'id' | 'type' | 'key'>>): Promise<void> {
    const cols: Record<string, unknown> = {};
    if (patch.status !== undefined) cols.status = patch.status;
    if (patch.step !== undefined) cols.step = patch.step;
    if (patch.context !== undefined) cols.context = JSON.stringify(patch.context);
    if (patch.error !== undefined) cols.error = patch.error === null ? null : patch.error.slice(0, 2000);
    if (Object.keys(cols).length) await this.db.current()('saga_log').where({ id }).update(cols);
  }

  async get(id: number): Promise<SagaRecord<unknown> | undefined> {
    const row = await this.db.current()('saga_log').where({ id }).first();
    return row ? toRecord(row) : undefined;
  }

  async unfinished(): Promise<SagaRecord<unknown>[]> {
    const rows = await this.db.current()('saga_log').whereIn('status', ['running', 'compensating']).orderBy('id');
    return rows.map(toRecord);
  }
}

function toRecord(row: { id: number; type: string; saga_key: string; status: SagaRecord['status']; step: number; context: unknown; error: string | null }): SagaRecord<unknown> {
  return {
    id: Number(row.id), type: row.type, key: row.saga_key, status: row.status, step: Number(row.step),
    context: typeof row.context === 'string' ? JSON.parse(row.context) : row.context, error: row.error,
  };
}
