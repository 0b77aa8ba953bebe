/**
 * The facade's view of the ownership registry (lib/ownership): is legacy's copy of a route's data still current?
 *
 * After `split-db cutover` the legacy copy of the moved tables is fenced and stops changing, so a GET that falls back
 * to legacy would answer a stale 200 without any error. Routes name their data `domain`; once the registry says that
 * domain's `database` is `own`, fallback to legacy is off for them (unless the route says `legacyReadsThroughSeam`).
 *
 * The registry being unreachable never stops the facade: the registry keeps its last read records (its poll logs a
 * warn and serves its cache), and while nothing has been read yet (the registry was down at start-up) every route with
 * a domain counts as split. That is the safe side: refusing a fallback costs one visible 5xx/502 that the client can
 * retry, while allowing one after a cutover serves wrong data as a 200 that nobody notices.
 */
import type { Knex } from 'knex';
import { createKnex } from '../lib/db.ts';
import type { Logger } from '../lib/logger.ts';
import { maskDsn, maskSecretsInText } from '../lib/mask.ts';
import { createMysqlOwnershipRegistry, DEFAULT_OWNERSHIP_POLL_MS, type OwnershipRecord, type OwnershipRegistry } from '../lib/ownership/index.ts';
import type { RouteSpec } from './table/schema.ts';

/** While the registry could not be read at all, retry its first read this often. */
export const DEFAULT_OWNERSHIP_RETRY_MS = 2_000;

export interface OwnershipWatchOptions {
  /** MySQL DSN of the registry's database (STRANGLER_OWNERSHIP_URL). Never logged unmasked. */
  dsn: string;
  /** Redis URL for change notifications (REDIS_URL); polling alone when unset. */
  redisUrl?: string;
  /** Pub/sub channel; default the registry's own (`ownership:<database>`). */
  channel?: string;
  /** Poll interval (default DEFAULT_OWNERSHIP_POLL_MS). */
  pollMs?: number;
  retryMs?: number;
  logger: Logger;
}

/** What `route show` / `status` report for a route with a domain. */
export interface RouteOwnership {
  domain: string;
  /** `unknown` while the registry has never been read. */
  database: 'legacy' | 'own' | 'unknown';
  owner: 'legacy' | 'service' | 'unknown';
  version: number | null;
  legacyReadsThroughSeam: boolean;
  /** Whether legacy's answer for this route is current (false once split, or while unknown, unless through the seam). */
  legacyCurrent: boolean;
  /** Whether a failing GET may be answered by legacy right now (also needs `fallback: true` and service/canary mode). */
  fallbackLive: boolean;
}

/** The part the request path needs (a fake in unit tests). */
export interface OwnershipView {
  legacyStale(spec: RouteSpec): boolean;
  describe(spec: RouteSpec): RouteOwnership | null;
}

/** Pure rule: legacy's answer for this route is not current (or might not be). */
export function legacyStaleFor(spec: Pick<RouteSpec, 'domain' | 'legacyReadsThroughSeam'>, database: 'legacy' | 'own' | 'unknown'): boolean {
  if (spec.domain === undefined || spec.legacyReadsThroughSeam === true) return false;
  return database !== 'legacy';
}

export class OwnershipWatch implements OwnershipView {
  private readonly opts: OwnershipWatchOptions;
  private readonly knex: Knex;
  private registry: OwnershipRegistry | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private starting: Promise<void> | null = null;

  constructor(opts: OwnershipWatchOptions) {
    this.opts = opts;
    this.knex = createKnex(opts.dsn, { pool: { max: 2 } });
    // knex prints pool errors to stdout by itself; the failed read is already logged (masked, rate of one per retry)
    const knexLog = (this.knex as unknown as { client?: { logger?: { _warn?: unknown } } }).client?.logger;
    if (knexLog) knexLog._warn = (message: string) => opts.logger.debug({ detail: maskSecretsInText(String(message)).slice(0, 500) }, 'ownership registry connection');
  }

  /** Starts reading in the background; never throws, never waits for the registry. */
  start(): void {
    this.attempt();
  }

  /** Resolves once the registry has been read (tests); never rejects. */
  async ready(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.registry === null && Date.now() < until && !this.closed) await new Promise((r) => setTimeout(r, 20));
    return this.registry !== null;
  }

  private attempt(): void {
    if (this.closed || this.registry !== null || this.starting !== null) return;
    const { opts } = this;
    this.starting = createMysqlOwnershipRegistry({
      knex: this.knex, ensure: false, redisUrl: opts.redisUrl, channel: opts.channel,
      pollMs: opts.pollMs ?? DEFAULT_OWNERSHIP_POLL_MS, logger: opts.logger,
    }).then(async (reg) => {
      if (this.closed) return reg.close();
      this.registry = reg;
      opts.logger.info({ registry: maskDsn(opts.dsn) }, 'ownership registry read; stale-fallback rule active');
      reg.onChange((next, prev) => opts.logger.info({ domain: next.domain, database: next.database, owner: next.owner, version: next.version, previous: prev?.database }, 'ownership changed'));
    }, (err: unknown) => {
      opts.logger.warn({ registry: maskDsn(opts.dsn), err: maskErr(err) }, 'ownership registry unreachable; routes with a domain refuse fallback to legacy until it is read');
      if (this.closed) return;
      this.timer = setTimeout(() => this.attempt(), opts.retryMs ?? DEFAULT_OWNERSHIP_RETRY_MS);
      this.timer.unref();
    }).finally(() => {
      this.starting = null;
    });
  }

  private database(domain: string): { database: 'legacy' | 'own' | 'unknown'; owner: 'legacy' | 'service' | 'unknown'; version: number | null } {
    const reg = this.registry;
    if (reg === null) return { database: 'unknown', owner: 'unknown', version: null };
    const rec = reg.get(domain);
    return { database: rec.database, owner: rec.owner, version: rec.version };
  }

  /** Every registry record (the dashboard's data page); null while the registry has never been read. */
  records(): OwnershipRecord[] | null {
    return this.registry?.all() ?? null;
  }

  legacyStale(spec: RouteSpec): boolean {
    if (spec.domain === undefined) return false;
    return legacyStaleFor(spec, this.database(spec.domain).database);
  }

  describe(spec: RouteSpec): RouteOwnership | null {
    if (spec.domain === undefined) return null;
    const s = this.database(spec.domain);
    const current = !legacyStaleFor(spec, s.database);
    return { domain: spec.domain, ...s, legacyReadsThroughSeam: spec.legacyReadsThroughSeam === true, legacyCurrent: current, fallbackLive: spec.fallback && current };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.starting;
    await this.registry?.close();
    await this.knex.destroy();
  }
}

function maskErr(err: unknown): { message: string; code?: string } {
  const e = err as { message?: unknown; code?: unknown } | null;
  return { message: maskSecretsInText(String(e?.message ?? err)), code: typeof e?.code === 'string' ? e.code : undefined };
}
