import type { Knex } from 'knex';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import type { OwnershipRecord } from '../ownership/index.ts';
import { describeFence, isFenceError as defaultIsFenceError, SEAM_UNKNOWN_DOMAIN, SeamError, SeamUnavailableError } from './errors.ts';
import { promSink, type SeamEvent, type SeamOp } from './metrics.ts';
import { resolveSeamOptions, type Connection, type ResolvedRetry, type SeamOptions } from './options.ts';

export interface SeamDomainState {
  domain: string;
  owner: 'legacy' | 'service';
  database: 'legacy' | 'own';
  version: number;
  /** When the registry record last changed (the registry's changedAt). */
  changedAt: string;
  /** When this process last saw the record change (ISO), or null. */
  lastSwitchAt: string | null;
  fenceHits: number;
  retries: number;
  unavailable: number;
}

export interface CallOptions {
  /** Logged and passed to events, so a 503 can be traced. */
  requestId?: string;
}

export interface Seam {
  /** The knex of the domain's current owner database: its own connection once the registry says `database: 'own'`, else legacy. */
  knex(domain: string): Knex;
  /**
   * Runs `fn` against the current owner (inside a transaction unless transactionalWrites is false). On the fence
   * error it waits (backoff), re-reads the registry and retries against the possibly new owner until writeRetry.maxMs,
   * then throws SeamUnavailableError (503 through seamErrorHandler). Other errors are thrown at once.
   */
  write<T>(domain: string, fn: (db: Knex) => Promise<T>, opts?: CallOptions): Promise<T>;
  /** Same as write for reads (no transaction); retries on the fence error only. With `freshReads`, asks the registry first. */
  read<T>(domain: string, fn: (db: Knex) => Promise<T>, opts?: CallOptions): Promise<T>;
  /** Per domain: owner, database, version, last change, fence hits, retries, give-ups. For health checks. */
  state(): SeamDomainState[];
  /** Stops listening to the registry and destroys the connections the seam made from factories. */
  close(): Promise<void>;
}

interface Counters { fenceHits: number; retries: number; unavailable: number; lastSwitchAt: string | null }

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The seam between a monolith's data layer and tables that move: every call
 * asks the ownership registry (a cached read) where the domain lives now.
 * Knows nothing of any application: domains are the keys of `connections`.
 */
export function createSeam(options: SeamOptions): Seam {
  const resolved = resolveSeamOptions(options);
  const { registry, connections } = options;
  const log: Logger = options.logger ?? silentLogger();
  const now = options.now ?? Date.now;
  const isFence = options.isFenceError ?? defaultIsFenceError;
  const transactional = options.transactionalWrites ?? true;
  const freshReads = options.freshReads ?? false;
  const sinks: Array<(ev: SeamEvent) => void> = [];
  if (options.metricsRegistry) sinks.push(promSink(options.metricsRegistry));
  if (options.onEvent) sinks.push(options.onEvent);
  const emit = (ev: SeamEvent) => {
    for (const s of sinks) {
      try {
        s(ev);
      } catch (err) {
        log.warn({ err, event: ev.type }, 'seam metrics hook failed');
      }
    }
  };

  const domains = new Set(resolved.domains);
  const counters = new Map<string, Counters>([...domains].map((d) => [d, { fenceHits: 0, retries: 0, unavailable: 0, lastSwitchAt: null }]));
  const made = new Map<string, Knex>();

  function known(domain: string): void {
    if (!domains.has(domain)) {
      throw new SeamError(SEAM_UNKNOWN_DOMAIN, `seam: unknown domain ${JSON.stringify(String(domain)).slice(0, 80)}; domains are the keys of connections (${[...domains].join(', ') || 'none'})`);
    }
  }

  function ownConnection(domain: string): Knex {
    const c = connections[domain] as Connection;
    if (typeof (c as Knex).raw === 'function') return c as Knex;
    let k = made.get(domain);
    if (!k) {
      k = (c as () => Knex)();
      made.set(domain, k);
    }
    return k;
  }

  function current(domain: string): { rec: OwnershipRecord; db: Knex } {
    known(domain);
    const rec = registry.get(domain);
    return { rec, db: rec.database === 'own' ? ownConnection(domain) : connections.legacy };
  }

  const unsubscribe = registry.onChange((next, prev) => {
    if (!domains.has(next.domain)) return;
    if (prev && prev.database === next.database && prev.owner === next.owner) return;
    const c = counters.get(next.domain)!;
    c.lastSwitchAt = new Date(now()).toISOString();
    log.info({ domain: next.domain, from: prev?.database, to: next.database, version: next.version }, 'seam: ownership changed; new calls go to the new owner');
    emit({ type: 'switch', domain: next.domain, from: prev?.database, to: next.database, version: next.version });
  });

  async function run<T>(op: SeamOp, domain: string, fn: (db: Knex) => Promise<T>, policy: ResolvedRetry, opts: CallOptions | undefined): Promise<T> {
    known(domain);
    const c = counters.get(domain)!;
    if (op === 'read' && freshReads) await registry.refresh();
    const started = now();
    let backoff = policy.backoffMs;
    for (let attempt = 1; ; attempt++) {
      const { rec, db } = current(domain);
      try {
        if (op === 'write' && transactional) return await db.transaction((trx) => fn(trx));
        return await fn(db);
      } catch (err) {
        if (!isFence(err)) throw err;
        c.fenceHits++;
        emit({ type: 'fence', domain, op, attempt, database: rec.database, requestId: opts?.requestId });
        const waited = now() - started;
        if (waited >= policy.maxMs) {
          c.unavailable++;
          emit({ type: 'unavailable', domain, op, attempts: attempt, waitedMs: waited, requestId: opts?.requestId });
          log.warn({ fence: describeFence(err), domain, op, attempts: attempt, waitedMs: waited, requestId: opts?.requestId }, 'seam: domain still fenced after the retry budget; answering 503');
          throw new SeamUnavailableError(domain, op, attempt, waited, resolved.retryAfterSeconds, err);
        }
        if (attempt === 1) log.warn({ domain, op, database: rec.database, version: rec.version, requestId: opts?.requestId, fence: describeFence(err) }, 'seam: met the fence of a moving domain; retrying');
        c.retries++;
        const pause = Math.min(backoff, policy.maxMs - waited); // the last pause ends at the deadline: a flip just before it still lands
        emit({ type: 'retry', domain, op, attempt, waitMs: pause, requestId: opts?.requestId });
        await sleep(pause);
        backoff = Math.min(backoff * 2, policy.maxBackoffMs);
        // the fence is up: a flip is near; learn it now rather than at the next notification or poll
        await registry.refresh().catch((e: unknown) => log.warn({ err: e, domain }, 'seam: registry refresh failed; using the cached owner'));
      }
    }
  }

  return {
    knex: (domain) => current(domain).db,
    write: (domain, fn, opts) => run('write', domain, fn, resolved.write, opts),
    read: (domain, fn, opts) => run('read', domain, fn, resolved.read, opts),
    state() {
      return [...domains].map((d) => {
        const rec = registry.get(d);
        const c = counters.get(d)!;
        return { domain: d, owner: rec.owner, database: rec.database, version: rec.version, changedAt: rec.changedAt, lastSwitchAt: c.lastSwitchAt, fenceHits: c.fenceHits, retries: c.retries, unavailable: c.unavailable };
      });
    },
    async close() {
      unsubscribe();
      for (const k of made.values()) await k.destroy();
      made.clear();
    },
  };
}
