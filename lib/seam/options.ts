import type { Knex } from 'knex';
import type { Logger } from '../logger.ts';
import { isDomain, type OwnershipRegistry } from '../ownership/index.ts';
import { SEAM_INVALID_OPTIONS, SeamError } from './errors.ts';
import type { SeamEvent } from './metrics.ts';

/** How long one write keeps retrying against the (possibly changed) owner before it is a 503. */
export const DEFAULT_WRITE_RETRY_MAX_MS = 5000;
/** First pause after a fence hit; doubles up to DEFAULT_MAX_BACKOFF_MS. */
export const DEFAULT_WRITE_RETRY_BACKOFF_MS = 25;
export const DEFAULT_MAX_BACKOFF_MS = 250;
/** Retry-After (seconds) of the 503 a SeamUnavailableError becomes. */
export const DEFAULT_RETRY_AFTER_SECONDS = 2;

export interface RetryOptions {
  maxMs?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
}

export type Connection = Knex | (() => Knex);

export interface SeamOptions {
  registry: Pick<OwnershipRegistry, 'get' | 'refresh' | 'onChange'>;
  /** `legacy`: the monolith's own database. Every other key is a domain: the knex (or a factory) of its own database. */
  connections: { legacy: Knex } & Record<string, Connection>;
  writeRetry?: RetryOptions;
  /** Reads retry on the fence error only; same defaults as writes. */
  readRetry?: RetryOptions;
  retryAfterSeconds?: number;
  /**
   * Re-read the registry before every `read` (one small SELECT, shared by concurrent reads), so a read never goes to
   * the old side after another process has flipped the domain — e.g. the service wrote a row to the new owner and
   * this process has not yet heard of the flip. Default false: reads use the cached owner, which follows a flip when
   * the announcement (Redis) or the next poll arrives. Writes need no refresh: the old side is fenced.
   */
  freshReads?: boolean;
  /** Run `write` callbacks inside a transaction (default true), so a fenced attempt leaves nothing behind. */
  transactionalWrites?: boolean;
  /** Recognises the fence error (default isFenceError). */
  isFenceError?: (err: unknown) => boolean;
  logger?: Logger;
  /** Called for every fence hit, retry, give-up and owner switch. */
  onEvent?: (ev: SeamEvent) => void;
  /** prom-client Registry: the seam registers its counters there (see metrics.ts). */
  metricsRegistry?: import('prom-client').Registry;
  now?: () => number;
}

export interface ResolvedRetry { maxMs: number; backoffMs: number; maxBackoffMs: number }

function retry(path: string, r: RetryOptions | undefined, problems: string[]): ResolvedRetry {
  const out = { maxMs: r?.maxMs ?? DEFAULT_WRITE_RETRY_MAX_MS, backoffMs: r?.backoffMs ?? DEFAULT_WRITE_RETRY_BACKOFF_MS, maxBackoffMs: r?.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS };
  if (!Number.isInteger(out.maxMs) || out.maxMs < 0 || out.maxMs > 600_000) problems.push(`${path}.maxMs: an integer from 0 to 600000`);
  if (!Number.isInteger(out.backoffMs) || out.backoffMs < 1 || out.backoffMs > 60_000) problems.push(`${path}.backoffMs: an integer from 1 to 60000`);
  if (!Number.isInteger(out.maxBackoffMs) || out.maxBackoffMs < out.backoffMs) problems.push(`${path}.maxBackoffMs: an integer at least backoffMs`);
  return out;
}

function looksLikeKnex(x: unknown): boolean {
  return typeof x === 'function' && typeof (x as { raw?: unknown }).raw === 'function' && typeof (x as { transaction?: unknown }).transaction === 'function';
}

/** Validates once, up front; one message per bad field. Pure. */
export function resolveSeamOptions(o: SeamOptions): { write: ResolvedRetry; read: ResolvedRetry; retryAfterSeconds: number; domains: string[] } {
  const problems: string[] = [];
  if (!o || typeof o !== 'object') throw new SeamError(SEAM_INVALID_OPTIONS, 'createSeam: options object required');
  const reg = o.registry as unknown as Record<string, unknown> | undefined;
  if (!reg || typeof reg.get !== 'function' || typeof reg.onChange !== 'function' || typeof reg.refresh !== 'function') problems.push('registry: an ownership registry (get, refresh, onChange)');
  const domains: string[] = [];
  if (!o.connections || typeof o.connections !== 'object') problems.push('connections: required ({ legacy: knex, <domain>: knex | () => knex })');
  else {
    if (!looksLikeKnex(o.connections.legacy)) problems.push('connections.legacy: a knex instance');
    for (const [k, v] of Object.entries(o.connections)) {
      if (k === 'legacy') continue;
      if (!isDomain(k)) problems.push(`connections.${k}: not a domain name (^[a-z][a-z0-9_-]{0,63}$)`);
      else if (typeof v !== 'function') problems.push(`connections.${k}: a knex instance or a function returning one`);
      else domains.push(k);
    }
  }
  const write = retry('writeRetry', o.writeRetry, problems);
  const read = retry('readRetry', o.readRetry, problems);
  const retryAfterSeconds = o.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
  if (!Number.isInteger(retryAfterSeconds) || retryAfterSeconds < 1 || retryAfterSeconds > 3600) problems.push('retryAfterSeconds: an integer from 1 to 3600');
  if (o.isFenceError !== undefined && typeof o.isFenceError !== 'function') problems.push('isFenceError: a function');
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function') problems.push('onEvent: a function');
  if (o.freshReads !== undefined && typeof o.freshReads !== 'boolean') problems.push('freshReads: true or false');
  if (problems.length) throw new SeamError(SEAM_INVALID_OPTIONS, `createSeam: ${problems.join('; ')}`);
  return { write, read, retryAfterSeconds, domains };
}
