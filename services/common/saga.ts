/**
 * A small orchestration-saga runner: ordered steps, each with an idempotent
 * compensation; state persisted after every step through a SagaStore so a
 * saga interrupted by a crash can be compensated by `recoverSagas` later.
 *
 * Rules the steps must follow:
 * - `run` may fail part-way; `compensate` is therefore also called for the
 *   step that failed (and, on recovery, for the step that was in flight), so
 *   it must tolerate "never ran" and "ran twice".
 * - anything compensation needs is put into the context BEFORE the side
 *   effect (`prepare`), so it is persisted even if the process dies mid-step.
 */
export type SagaStatus = 'running' | 'completed' | 'compensating' | 'compensated' | 'failed';

export interface SagaRecord<C = Record<string, unknown>> {
  id: number;
  type: string;
  key: string;
  status: SagaStatus;
  /** Index of the step in flight (running) or the next step to compensate (compensating). */
  step: number;
  context: C;
  error: string | null;
}

export interface SagaStore {
  create(rec: Omit<SagaRecord<unknown>, 'id'>): Promise<number>;
  update(id: number, patch: Partial<Omit<SagaRecord<unknown>, 'id' | 'type' | 'key'>>): Promise<void>;
  get(id: number): Promise<SagaRecord<unknown> | undefined>;
  /** Sagas left running or compensating (by a crash). */
  unfinished(): Promise<SagaRecord<unknown>[]>;
}

export interface SagaStep<C> {
  name: string;
  /** Pure-ish preparation whose result is persisted before `run` (e.g. ids to restore). */
  prepare?(ctx: C): Promise<Partial<C>> | Partial<C>;
  run(ctx: C): Promise<Partial<C> | void>;
  compensate(ctx: C): Promise<void>;
}

export interface SagaDefinition<C> {
  type: string;
  steps: SagaStep<C>[];
}

export interface SagaResult<C> {
  id: number;
  status: SagaStatus;
  context: C;
  /** Name of the step that failed, when one did. */
  failedStep?: string;
  error?: string;
}

export interface SagaOptions {
  /** Attempts per compensation before the saga is marked failed (needs an operator). */
  compensationAttempts?: number;
}

export const DEFAULT_COMPENSATION_ATTEMPTS = 3;

/** Thrown by tests (or a supervisor) to stop a saga as if the process died: no compensation runs. */
export class SagaCrash extends Error {
  constructor(message = 'saga interrupted') {
    super(message);
    this.name = 'SagaCrash';
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export async function runSaga<C extends object>(def: SagaDefinition<C>, key: string, initial: C, store: SagaStore, opts: SagaOptions = {}): Promise<SagaResult<C>> {
  let ctx = { ...initial };
  const id = await store.create({ type: def.type, key, status: 'running', step: 0, context: ctx, error: null });
  for (let i = 0; i < def.steps.length; i++) {
    const step = def.steps[i];
    try {
      if (step.prepare) {
        ctx = { ...ctx, ...(await step.prepare(ctx)) };
        await store.update(id, { step: i, context: ctx });
      }
      const out = await step.run(ctx);
      if (out) ctx = { ...ctx, ...out };
      await store.update(id, { step: i + 1, context: ctx });
    } catch (err) {
      if (err instanceof SagaCrash) throw err;
      const error = `${step.name}: ${message(err)}`;
      await store.update(id, { status: 'compensating', step: i, context: ctx, error });
      const status = await compensateFrom(def, id, i, ctx, store, opts);
      return { id, status, context: ctx, failedStep: step.name, error };
    }
  }
  await store.update(id, { status: 'completed', step: def.steps.length, context: ctx });
  return { id, status: 'completed', context: ctx };
}

/** Compensates steps from..0 (inclusive), persisting progress; 'compensated' or 'failed'. */
async function compensateFrom<C>(def: SagaDefinition<C>, id: number, from: number, ctx: C, store: SagaStore, opts: SagaOptions): Promise<SagaStatus> {
  const attempts = Math.max(1, opts.compensationAttempts ?? DEFAULT_COMPENSATION_ATTEMPTS);
  for (let j = Math.min(from, def.steps.length - 1); j >= 0; j--) {
    let lastErr: unknown;
    let done = false;
    for (let a = 0; a < attempts && !done; a++) {
      try {
        await def.steps[j].compensate(ctx);
        done = true;
      } catch (err) {
        if (err instanceof SagaCrash) throw err;
        lastErr = err;
      }
    }
    if (!done) {
      const rec = await store.get(id);
      const prior = rec?.error ? `${rec.error}; ` : '';
      await store.update(id, { status: 'failed', step: j, error: `${prior}compensate ${def.steps[j].name}: ${message(lastErr)}` });
      return 'failed';
    }
    await store.update(id, { step: j - 1 < 0 ? 0 : j - 1 });
  }
  await store.update(id, { status: 'compensated', step: 0 });
  return 'compensated';
}

/**
 * Backward recovery after a crash: every saga left running or compensating is
 * compensated from the step that was in flight. Returns what it did.
 */
export async function recoverSagas(defs: SagaDefinition<any>[], store: SagaStore, opts: SagaOptions = {}): Promise<SagaResult<unknown>[]> {
  const out: SagaResult<unknown>[] = [];
  for (const rec of await store.unfinished()) {
    const def = defs.find((d) => d.type === rec.type);
    if (!def) continue;
    await store.update(rec.id, { status: 'compensating', error: rec.error ?? 'recovered after interruption' });
    const status = await compensateFrom(def, rec.id, rec.step, rec.context, store, opts);
    out.push({ id: rec.id, status, context: rec.context });
  }
  return out;
}

/** In-memory store for unit tests. */
export function memorySagaStore(): SagaStore & { records: Map<number, SagaRecord<unknown>> } {
  const records = new Map<number, SagaRecord<unknown>>();
  let next = 1;
  const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
  return {
    records,
    async create(rec) {
      const id = next++;
      records.set(id, clone({ ...rec, id }));
      return id;
    },
    async update(id, patch) {
      const cur = records.get(id);
      if (!cur) throw new Error(`no saga ${id}`);
      records.set(id, clone({ ...cur, ...patch }));
    },
    async get(id) {
      const r = records.get(id);
      return r ? clone(r) : undefined;
    },
    async unfinished() {
      return [...records.values()].filter((r) => r.status === 'running' || r.status === 'compensating').map(clone);
    },
  };
}
