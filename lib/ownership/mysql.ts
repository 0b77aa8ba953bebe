import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { Listeners } from './listeners.ts';
import { assertDatabaseName, currentDatabase, ensureRegistry, OWNERSHIP_AUDIT_TABLE, OWNERSHIP_TABLE } from './schema.ts';
import {
  applyPatch, defaultRecord, DOMAIN_PATTERN, isDomain, OwnershipError, samePlacement, validateChange,
  type ChangeMeta, type Domain, type OwnershipListener, type OwnershipPatch, type OwnershipRecord, type OwnershipRegistry,
} from './types.ts';

export const DEFAULT_OWNERSHIP_POLL_MS = 1000;
/** Prefix of the change channel; the full default is `ownership:<database>` (see ownershipChannelFor). */
export const DEFAULT_OWNERSHIP_CHANNEL_PREFIX = 'ownership:';
/** @deprecated the channel before it was namespaced by database; kept for callers that named it explicitly. */
export const DEFAULT_OWNERSHIP_CHANNEL = 'ownership:changed';
export { OWNERSHIP_AUDIT_TABLE, OWNERSHIP_TABLE };

/** Default pub/sub channel of a registry stored in `database`: two registries in two databases never hear each other. */
export function ownershipChannelFor(database: string): string {
  return `${DEFAULT_OWNERSHIP_CHANNEL_PREFIX}${database}`;
}

export interface MysqlOwnershipOptions {
  /** knex on the server that holds the registry. */
  knex: Knex;
  /** Database holding the registry tables; default: the knex connection's current database. */
  database?: string;
  /**
   * Create the tables when missing and seed `domains` (ensureRegistry). Default true; false expects the tables
   * to exist (e.g. made by a migration) and never writes at start-up.
   */
  ensure?: boolean;
  /** Domains this process uses: seeded when `ensure`, and always listed by all(). */
  domains?: readonly Domain[];
  /** Redis URL for change notifications; without it, polling alone keeps caches fresh. */
  redisUrl?: string;
  /** Pub/sub channel; default `ownership:<database>` (ownershipChannelFor). Tests use a unique one. */
  channel?: string;
  /** Polling fallback interval; 0 disables polling. */
  pollMs?: number;
  /** Wait up to this long for Redis before create() resolves (so a flip right after start-up is announced). */
  redisWaitMs?: number;
  logger?: Logger;
}

interface Row {
  domain: string;
  owner: 'legacy' | 'service';
  database: 'legacy' | 'own';
  version: number | string;
  changed_at: string;
  changed_by: string;
  reason: string;
}

function toRecord(r: Row): OwnershipRecord {
  return {
    domain: r.domain as Domain,
    owner: r.owner,
    database: r.database,
    version: Number(r.version),
    changedAt: `${String(r.changed_at).replace(' ', 'T')}Z`,
    changedBy: r.changed_by,
    reason: r.reason,
  };
}

/** ER_TABLEACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR. */
function isAccessDenied(err: unknown): boolean {
  const errno = (err as { errno?: unknown } | null)?.errno;
  return errno === 1142 || errno === 1044 || errno === 1227;
}

function toDatetime(iso: string): string {
  return iso.replace('T', ' ').replace('Z', '');
}

/**
 * Registry stored in MySQL (`service_ownership`), changed in one transaction
 * together with its audit row, announced over Redis pub/sub, and re-read by
 * every process on the announcement or at the latest after `pollMs`.
 */
export class MysqlOwnershipRegistry implements OwnershipRegistry {
  private cache = new Map<Domain, OwnershipRecord>();
  private readonly listeners = new Listeners();
  private readonly knex: Knex;
  private readonly database: string;
  private readonly declared: readonly Domain[];
  readonly channel: string;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private sub: Redis | undefined;
  private pub: Redis | undefined;
  private closed = false;
  private refreshing: Promise<OwnershipRecord[]> | undefined;
  private queuedRefresh: Promise<OwnershipRecord[]> | undefined;

  private constructor(opts: MysqlOwnershipOptions, database: string) {
    this.knex = opts.knex;
    this.database = database;
    this.declared = opts.domains ?? [];
    this.channel = opts.channel ?? ownershipChannelFor(database);
    this.log = opts.logger ?? silentLogger();
  }

  static async create(opts: MysqlOwnershipOptions): Promise<MysqlOwnershipRegistry> {
    for (const d of opts.domains ?? []) {
      if (!isDomain(d)) throw new OwnershipError('OWNERSHIP_INVALID', `domains: ${JSON.stringify(String(d)).slice(0, 80)} must match ${DOMAIN_PATTERN.source}`);
    }
    if (opts.database !== undefined) assertDatabaseName(opts.database);
    const database = opts.database ?? await currentDatabase(opts.knex);
    if (opts.ensure ?? true) {
      try {
        await ensureRegistry(opts.knex, { database, domains: opts.domains });
      } catch (err) {
        // a read-only process may not seed: the first refresh below still fails loudly if the table is missing
        if (!isAccessDenied(err)) throw err;
        (opts.logger ?? silentLogger()).warn({ err, database }, 'ownership registry not ensured (no privilege); expecting its table and rows to exist');
      }
    }
    const reg = new MysqlOwnershipRegistry(opts, database);
    await reg.refresh();
    const pollMs = opts.pollMs ?? DEFAULT_OWNERSHIP_POLL_MS;
    if (pollMs > 0) {
      reg.timer = setInterval(() => {
        reg.refresh().catch((err) => reg.log.warn({ err }, 'ownership poll failed; serving cached records'));
      }, pollMs);
      reg.timer.unref();
    }
    if (opts.redisUrl) {
      const ready = reg.connectRedis(opts.redisUrl);
      if (opts.redisWaitMs) await Promise.race([ready, new Promise((r) => setTimeout(r, opts.redisWaitMs).unref())]);
    }
    return reg;
  }

  private connectRedis(url: string): Promise<void> {
    const common = { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 1000 } as const;
    this.sub = new Redis(url, common);
    this.pub = new Redis(url, common);
    for (const c of [this.sub, this.pub]) c.on('error', (err) => this.log.debug({ err }, 'ownership redis error'));
    this.sub.on('ready', () => {
      this.sub?.subscribe(this.channel).catch((err) => this.log.warn({ err }, 'ownership subscribe failed'));
    });
    this.sub.on('message', (ch: string) => {
      if (ch !== this.channel) return;
      this.refresh().catch((err) => this.log.warn({ err }, 'ownership refresh after notification failed'));
    });
    const pub = this.pub;
    return new Promise((resolve) => {
      if (pub.status === 'ready') resolve();
      else pub.once('ready', () => resolve());
    });
  }

  /** Which database holds the registry tables. */
  get databaseName(): string {
    return this.database;
  }

  /**
   * A malformed name is an OWNERSHIP_UNKNOWN_DOMAIN error. A well-formed name without a row reads as its initial
   * record (legacy / legacy / version 1): the row is written by ensureRegistry or by the first set().
   */
  get(domain: Domain): OwnershipRecord {
    if (!isDomain(domain)) throw new OwnershipError('OWNERSHIP_UNKNOWN_DOMAIN', `unknown domain: ${JSON.stringify(String(domain)).slice(0, 80)} (a domain name matches ${DOMAIN_PATTERN.source})`);
    return this.cache.get(domain) ?? defaultRecord(domain);
  }

  /** Every domain with a row, plus the declared ones, in name order. */
  all(): OwnershipRecord[] {
    return [...new Set([...this.cache.keys(), ...this.declared])].sort().map((d) => this.get(d));
  }

  private table(q: Knex | Knex.Transaction, name: string): Knex.QueryBuilder {
    return q(name).withSchema(this.database);
  }

  /**
   * Re-reads the table. Resolves with records read by a SELECT that started after this call: callers arriving while
   * a refresh is in flight (its SELECT may predate a flip they already know of) share one refresh queued after it.
   */
  async refresh(): Promise<OwnershipRecord[]> {
    if (!this.refreshing) return this.readNow();
    this.queuedRefresh ??= this.refreshing.catch(() => undefined).then(() => {
      this.queuedRefresh = undefined;
      return this.readNow();
    });
    return this.queuedRefresh;
  }

  private readNow(): Promise<OwnershipRecord[]> {
    this.refreshing = (async () => {
      try {
        const rows = (await this.table(this.knex, OWNERSHIP_TABLE).select('*')) as Row[];
        const next = new Map<Domain, OwnershipRecord>();
        for (const r of rows) if (isDomain(r.domain)) next.set(r.domain, toRecord(r));
        const prev = this.cache;
        this.cache = next;
        for (const [d, rec] of next) {
          const old = prev.get(d);
          if (!old || old.version !== rec.version) this.listeners.emit(rec, old);
        }
        return this.all();
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  async set(domain: Domain, patch: OwnershipPatch, meta: ChangeMeta): Promise<OwnershipRecord> {
    if (this.closed) throw new OwnershipError('OWNERSHIP_CLOSED', 'registry is closed');
    const problems = validateChange(domain, patch, meta);
    if (problems.length) throw new OwnershipError('OWNERSHIP_INVALID', problems.join('; '));
    const result = await this.knex.transaction(async (tx) => {
      let row = (await this.table(tx, OWNERSHIP_TABLE).where({ domain }).forUpdate().first()) as Row | undefined;
      if (!row) {
        const d = defaultRecord(domain);
        await tx.raw(`INSERT IGNORE INTO ??.?? (domain, owner, \`database\`, version, changed_by, reason) VALUES (?, ?, ?, 1, 'registry', 'created on first change')`,
          [this.database, OWNERSHIP_TABLE, domain, d.owner, d.database]);
        row = (await this.table(tx, OWNERSHIP_TABLE).where({ domain }).forUpdate().first()) as Row;
      }
      const cur = toRecord(row);
      if (meta.ifVersion !== undefined && meta.ifVersion !== cur.version) {
        throw new OwnershipError('OWNERSHIP_CONFLICT', `${domain}: version is ${cur.version}, expected ${meta.ifVersion}`);
      }
      if (samePlacement(cur, patch)) return { cur, next: cur, changed: false };
      const next = applyPatch(cur, patch, meta, new Date());
      await this.table(tx, OWNERSHIP_TABLE).where({ domain, version: cur.version }).update({
        owner: next.owner, database: next.database, version: next.version,
        changed_at: toDatetime(next.changedAt), changed_by: next.changedBy, reason: next.reason,
      });
      await this.table(tx, OWNERSHIP_AUDIT_TABLE).insert({
        domain, from_owner: cur.owner, to_owner: next.owner, from_database: cur.database, to_database: next.database,
        version: next.version, changed_at: toDatetime(next.changedAt), changed_by: meta.actor, reason: meta.reason,
      });
      return { cur, next, changed: true };
    });
    if (result.changed) {
      const prev = this.cache.get(domain);
      this.cache.set(domain, result.next);
      this.listeners.emit(result.next, prev ?? result.cur);
      await this.announce(domain, result.next.version);
    }
    return result.next;
  }

  private async announce(domain: Domain, version: number): Promise<void> {
    if (!this.pub) return;
    try {
      await this.pub.publish(this.channel, JSON.stringify({ domain, version }));
    } catch (err) {
      // polling still converges; a Redis outage must not undo or fail a committed flip
      this.log.warn({ err }, 'ownership change committed but not announced; pollers will pick it up');
    }
  }

  /** Audit trail, newest first. */
  async history(domain?: Domain, limit = 50): Promise<Array<Record<string, unknown>>> {
    const q = this.table(this.knex, OWNERSHIP_AUDIT_TABLE).orderBy('id', 'desc').limit(limit);
    if (domain) q.where({ domain });
    return (await q) as Array<Record<string, unknown>>;
  }

  onChange(cb: OwnershipListener): () => void {
    return this.listeners.add(cb);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
    for (const c of [this.sub, this.pub]) {
      if (!c) continue;
      try {
        await c.quit();
      } catch {
        c.disconnect();
      }
    }
  }
}

export function createMysqlOwnershipRegistry(opts: MysqlOwnershipOptions): Promise<MysqlOwnershipRegistry> {
  return MysqlOwnershipRegistry.create(opts);
}
