import type mysql from 'mysql2/promise';
import type { Logger } from '../../../lib/logger.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { maskSecretsInText } from '../../../lib/mask.ts';
import { SplitError } from './errors.ts';
import { openConnection, type Side } from './side.ts';
import { killQuery } from './watch.ts';

/**
 * DDL on tables the application uses, without stalling the application.
 *
 * CREATE TRIGGER, ALTER TABLE … DROP FOREIGN KEY and RENAME TABLE need an
 * exclusive metadata lock. While they wait for it every new statement on the
 * table queues behind them — for `lock_wait_timeout`, a day by default. So each
 * attempt waits at most `lockWaitMs` (session lock_wait_timeout, plus a KILL
 * QUERY of our own statement for sub-second limits), then gives the lock up,
 * lets the queue drain during a backoff pause and tries again (gh-ost and
 * Spirit do the same). After the last attempt the error names the sessions
 * whose open transactions hold the table (INNODB_TRX + PROCESSLIST, and
 * METADATA_LOCK_INFO where that plugin is installed).
 */
export const DEFAULT_DDL_LOCK_WAIT_MS = 1000;
export const DEFAULT_DDL_RETRIES = 5;
/** First pause between attempts; doubles per attempt up to DDL_BACKOFF_MAX_MS. */
export const DDL_BACKOFF_MS = 100;
export const DDL_BACKOFF_MAX_MS = 2000;
/** Blocking sessions named in an error. */
export const DDL_MAX_BLOCKERS = 5;

export interface DdlPolicy {
  lockWaitMs: number;
  retries: number;
  log?: Logger;
}

export const DEFAULT_DDL_POLICY: DdlPolicy = { lockWaitMs: DEFAULT_DDL_LOCK_WAIT_MS, retries: DEFAULT_DDL_RETRIES };

/** ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK, ER_QUERY_INTERRUPTED (our own KILL at the sub-second limit). */
const LOCK_ERRNOS = new Set([1205, 1213, 1317]);

export interface Blocker {
  id: number;
  user: string | null;
  host: string | null;
  seconds: number | null;
  state: string | null;
  info: string | null;
  lock?: string;
}

export function describeBlockers(blockers: Blocker[]): string {
  if (!blockers.length) return 'no open InnoDB transaction found (a LOCK TABLES, FLUSH or read-only transaction may hold the table; see SHOW PROCESSLIST)';
  return blockers.map((b) => {
    const parts = [`session ${b.id}`];
    if (b.user) parts.push(`${b.user}@${b.host ?? '?'}`);
    if (b.seconds !== null) parts.push(`transaction open ${b.seconds} s`);
    if (b.lock) parts.push(`holds ${b.lock}`);
    if (b.state) parts.push(`state "${b.state}"`);
    parts.push(b.info ? `running "${maskSecretsInText(b.info)}"` : 'idle in transaction');
    return parts.join(', ');
  }).join('; ');
}

/** The pause before attempt `attempt` (1-based, the first retry is attempt 2). */
export function backoffMs(attempt: number): number {
  return Math.min(DDL_BACKOFF_MAX_MS, DDL_BACKOFF_MS * 2 ** Math.max(0, attempt - 2));
}

/** A dedicated session for DDL on one side; `run` is bounded per attempt and retried. */
export class DdlSession {
  private conn: mysql.Connection | undefined;
  private readonly side: Side;
  private readonly policy: DdlPolicy;
  private readonly log: Logger;

  constructor(side: Side, policy: DdlPolicy = DEFAULT_DDL_POLICY) {
    this.side = side;
    this.policy = policy;
    this.log = policy.log ?? silentLogger();
  }

  private async connection(): Promise<mysql.Connection> {
    if (!this.conn) {
      this.conn = await openConnection(this.side.dsn);
      await this.conn.query(`SET SESSION lock_wait_timeout = ${Math.max(1, Math.ceil(this.policy.lockWaitMs / 1000))}, SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(this.policy.lockWaitMs / 1000))}`);
    }
    return this.conn;
  }

  /** Runs one DDL statement; `tables` are the tables it locks (named in the error). */
  async run(sql: string, what: string, tables: string[]): Promise<void> {
    const attempts = 1 + this.policy.retries;
    let lastErr: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await new Promise((r) => setTimeout(r, backoffMs(attempt)));
      const conn = await this.connection();
      const subSecond = this.policy.lockWaitMs % 1000 !== 0;
      let timedOut = false;
      let killing: Promise<void> | undefined;
      const timer = subSecond ? setTimeout(() => {
        timedOut = true;
        killing = killQuery({ dsn: this.side.dsn, threadId: conn.threadId });
      }, this.policy.lockWaitMs) : undefined;
      try {
        await conn.query(sql);
        return;
      } catch (err) {
        const errno = (err as { errno?: number }).errno;
        if (errno === undefined || !LOCK_ERRNOS.has(errno) || (errno === 1317 && !timedOut)) throw err;
        lastErr = err;
        this.log.warn({ table: tables.join(','), what, attempt, attempts, lockWaitMs: this.policy.lockWaitMs }, 'DDL could not get its metadata lock in time; gave it up so application writes keep flowing');
      } finally {
        if (timer) clearTimeout(timer);
        // a KILL still on its way must not hit the next statement of this session
        await killing;
      }
    }
    const blockers = await findBlockers(await this.connection(), this.side.db, tables).catch(() => [] as Blocker[]);
    throw new SplitError('LOCKED',
      `${what} on ${this.side.db}.${tables.join(', ')} could not get its lock within ${this.policy.lockWaitMs} ms in ${attempts} attempt(s) ` +
      `(${maskSecretsInText((lastErr as Error)?.message ?? '')}); nothing was changed by it and application writes were not held. ` +
      `Blocked by: ${describeBlockers(blockers)}. Retry when that ends, or raise --ddl-lock-wait-ms / --ddl-retries`,
      { blockers });
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    await c?.end().catch(() => c.destroy());
  }
}

/** Runs DDL statements on one side through one bounded session. */
export async function withDdl<T>(side: Side, policy: DdlPolicy, fn: (ddl: DdlSession) => Promise<T>): Promise<T> {
  const s = new DdlSession(side, policy);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

/**
 * Sessions that may hold the metadata lock a DDL waits for: holders of a
 * metadata lock on the tables where the METADATA_LOCK_INFO plugin is
 * installed, and sessions with an open InnoDB transaction — those using the
 * table's database first (a shared server has others), oldest first.
 */
export async function findBlockers(conn: mysql.Connection, db: string, tables: string[]): Promise<Blocker[]> {
  const out = new Map<number, Blocker>();
  const [self] = await conn.query('SELECT CONNECTION_ID() AS id');
  const me = Number((self as Array<{ id: number }>)[0].id);
  try {
    const [mdl] = await conn.query(
      `SELECT m.THREAD_ID AS id, m.LOCK_MODE AS mode, m.TABLE_NAME AS tbl, p.USER AS user, p.HOST AS host, p.TIME AS time, p.STATE AS state, LEFT(p.INFO, 160) AS info
         FROM information_schema.METADATA_LOCK_INFO m LEFT JOIN information_schema.PROCESSLIST p ON p.ID = m.THREAD_ID
        WHERE m.TABLE_SCHEMA = ? AND m.TABLE_NAME IN (?) AND m.THREAD_ID <> ?`, [db, tables.length ? tables : [''], me]);
    for (const r of mdl as Array<Record<string, unknown>>) {
      const id = Number(r.id);
      if (!out.has(id)) out.set(id, { id, user: str(r.user), host: str(r.host), seconds: num(r.time), state: str(r.state), info: str(r.info), lock: `${String(r.mode)} on ${String(r.tbl)}` });
    }
  } catch {
    // plugin not installed: open transactions below
  }
  const [trx] = await conn.query(
    `SELECT t.trx_mysql_thread_id AS id, p.USER AS user, p.HOST AS host, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS age, p.STATE AS state, LEFT(COALESCE(p.INFO, t.trx_query), 160) AS info
       FROM information_schema.INNODB_TRX t LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
      WHERE t.trx_mysql_thread_id <> ? ORDER BY p.DB <=> ? DESC, t.trx_started LIMIT ${DDL_MAX_BLOCKERS}`, [me, db]);
  for (const r of trx as Array<Record<string, unknown>>) {
    const id = Number(r.id);
    if (!out.has(id)) out.set(id, { id, user: str(r.user), host: str(r.host), seconds: num(r.age), state: str(r.state), info: str(r.info) });
  }
  return [...out.values()].slice(0, DDL_MAX_BLOCKERS);
}

function str(v: unknown): string | null {
  return v === null || v === undefined || v === '' ? null : String(v);
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

/** The DDL policy of a run: the validated options, logged through the run's logger. */
export function ddlPolicy(ctx: { opts: { ddlLockWaitMs: number; ddlRetries: number }; log?: Logger }): DdlPolicy {
  return { lockWaitMs: ctx.opts.ddlLockWaitMs, retries: ctx.opts.ddlRetries, log: ctx.log };
}
