import { setTimeout as sleep } from 'node:timers/promises';
import type mysql from 'mysql2/promise';
import type { Logger } from '../../../lib/logger.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { maskSecretsInText } from '../../../lib/mask.ts';
import { SplitError } from './errors.ts';
import { openConnection, type Side } from './side.ts';
import { killQuery } from './watch.ts';

/**
 * DDL on tables the application uses, without stalling the application and
 * without failing any of its transactions.
 *
 * CREATE TRIGGER, ALTER TABLE … DROP FOREIGN KEY and RENAME TABLE need an
 * exclusive metadata lock. A DDL that *waits* for it does two kinds of harm:
 *   - every new statement on the table queues behind it (for
 *     `lock_wait_timeout`, a day by default);
 *   - it makes application transactions fail. A transaction that has read the
 *     table and then writes it (SELECT then UPDATE), or has written a foreign
 *     key's parent and then writes the child, now waits for the DDL while the
 *     DDL waits for it. The server calls that a deadlock and, DML weighing less
 *     than DDL, rolls the *application's* transaction back (ER_LOCK_DEADLOCK):
 *     a client sees a 500. A short lock wait does not help; the victim is
 *     chosen the moment the cycle closes.
 * So by default a DDL never waits: each try runs with lock_wait_timeout 0
 * (NOWAIT) and fails at once when any transaction holds one of its tables;
 * tries repeat every few milliseconds (DDL_TRY_PAUSE_MS, jittered) for up to
 * `lockWaitMs`, which finds the moment between two application transactions.
 * After such an attempt the session pauses (backoff) and tries again,
 * `retries` times. `wait: true` (`--ddl-wait`) is the old way, for tables
 * never free for a moment: each attempt waits at most `lockWaitMs` (session
 * lock_wait_timeout, plus a KILL QUERY of our own statement for sub-second
 * limits) — writers queue behind it meanwhile and may be deadlock victims.
 * After the last attempt the error names the sessions whose open transactions
 * hold the table (INNODB_TRX + PROCESSLIST, and METADATA_LOCK_INFO where that
 * plugin is installed).
 */
export const DEFAULT_DDL_LOCK_WAIT_MS = 1000;
export const DEFAULT_DDL_RETRIES = 5;
/** First pause between attempts; doubles per attempt up to DDL_BACKOFF_MAX_MS. */
export const DDL_BACKOFF_MS = 100;
export const DDL_BACKOFF_MAX_MS = 2000;
/** Pause between two NOWAIT tries of one attempt (ms; each pause is drawn from 0.5–1.5× this). */
export const DDL_TRY_PAUSE_MS = 2;
/** Blocking sessions named in an error. */
export const DDL_MAX_BLOCKERS = 5;

export interface DdlPolicy {
  /** How long one attempt keeps trying (NOWAIT) or waits for its lock (`wait`). */
  lockWaitMs: number;
  retries: number;
  /** Wait for the metadata lock instead of trying NOWAIT (see above: writers queue, and may become deadlock victims). */
  wait?: boolean;
  log?: Logger;
  /** Called after every try that did not get its lock (tests observe the tries). */
  onBusy?: (tries: number) => void;
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
      // NOWAIT: 0 fails a metadata lock request at once (ER_LOCK_WAIT_TIMEOUT) instead of queueing it
      const s = this.policy.wait ? Math.max(1, Math.ceil(this.policy.lockWaitMs / 1000)) : 0;
      await this.conn.query(`SET SESSION lock_wait_timeout = ${s}, SESSION innodb_lock_wait_timeout = ${s}`);
    }
    return this.conn;
  }

  /** Runs one DDL statement; `tables` are the tables it locks (named in the error). */
  async run(sql: string, what: string, tables: string[]): Promise<void> {
    const attempts = 1 + this.policy.retries;
    let lastErr: unknown;
    let tries = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(backoffMs(attempt));
      const until = performance.now() + this.policy.lockWaitMs;
      for (;;) {
        const err = await this.tryOnce(sql);
        if (err === undefined) return;
        lastErr = err;
        tries++;
        this.policy.onBusy?.(tries);
        if (this.policy.wait || performance.now() + DDL_TRY_PAUSE_MS >= until) break;
        await sleep(DDL_TRY_PAUSE_MS * (0.5 + Math.random()));
      }
      this.log.warn({ table: tables.join(','), what, attempt, attempts, tries, lockWaitMs: this.policy.lockWaitMs, wait: !!this.policy.wait },
        this.policy.wait
          ? 'DDL could not get its metadata lock in time; gave it up so application writes keep flowing'
          : 'DDL found no moment without a transaction on its tables; pausing so application transactions run, then trying again');
    }
    const blockers = await findBlockers(await this.connection(), this.side.db, tables).catch(() => [] as Blocker[]);
    const how = this.policy.wait
      ? `could not get its lock within ${this.policy.lockWaitMs} ms in ${attempts} attempt(s)`
      : `found no moment when no transaction held the table in ${tries} NOWAIT tries over ${attempts} attempt(s) of ${this.policy.lockWaitMs} ms`;
    throw new SplitError('LOCKED',
      `${what} on ${this.side.db}.${tables.join(', ')} ${how} ` +
      `(${maskSecretsInText((lastErr as Error)?.message ?? '')}); nothing was changed by it and application writes were not held. ` +
      `Blocked by: ${describeBlockers(blockers)}. Retry when that ends, or raise --ddl-lock-wait-ms / --ddl-retries` +
      (this.policy.wait ? '' : ' (or --ddl-wait: wait for the lock, queueing the application\'s statements behind it)'),
      { blockers });
  }

  /** One try: undefined when the statement ran, its lock error when it did not get its lock; any other error throws. */
  private async tryOnce(sql: string): Promise<unknown> {
    const conn = await this.connection();
    const subSecond = this.policy.wait === true && this.policy.lockWaitMs % 1000 !== 0;
    let timedOut = false;
    let killing: Promise<void> | undefined;
    const timer = subSecond ? setTimeout(() => {
      timedOut = true;
      killing = killQuery({ dsn: this.side.dsn, threadId: conn.threadId });
    }, this.policy.lockWaitMs) : undefined;
    try {
      await conn.query(sql);
      return undefined;
    } catch (err) {
      const errno = (err as { errno?: number }).errno;
      if (errno === undefined || !LOCK_ERRNOS.has(errno) || (errno === 1317 && !timedOut)) throw err;
      return err;
    } finally {
      if (timer) clearTimeout(timer);
      // a KILL still on its way must not hit the next statement of this session
      await killing;
    }
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
export function ddlPolicy(ctx: { opts: { ddlLockWaitMs: number; ddlRetries: number; ddlWait?: boolean }; log?: Logger }): DdlPolicy {
  return { lockWaitMs: ctx.opts.ddlLockWaitMs, retries: ctx.opts.ddlRetries, wait: ctx.opts.ddlWait === true, log: ctx.log };
}
