/**
 * Bulk writer: multi-row INSERTs over a few dedicated connections, a bounded
 * number in flight (back-pressure for the streaming generator). Any warning
 * from the server fails the seed: a silently truncated value is data loss.
 *
 * Foreign-key checks are switched off on these connections only: every id the
 * seeder writes is computed from the same plan (see generate.ts), parents go
 * in before children, and the integration test checks integrity afterwards.
 */
import mysql from 'mysql2/promise';
import { escape } from 'mysql2';
import { parseMysqlDsn } from '../../lib/db.ts';
import type { Row } from './generate.ts';

export function insertSql(table: string, columns: readonly string[], rows: Row[]): string {
  const tuples = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    let t = '(';
    for (let j = 0; j < r.length; j++) {
      const v = r[j];
      t += (j ? ',' : '') + (v === null ? 'NULL' : typeof v === 'number' ? String(v) : escape(v));
    }
    tuples[i] = t + ')';
  }
  return `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(',')}) VALUES ${tuples.join(',')}`;
}

export class BulkWriter {
  private readonly idle: mysql.Connection[];
  private readonly all: mysql.Connection[];
  private readonly waiters: ((c: mysql.Connection) => void)[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private failure: unknown;

  private constructor(conns: mysql.Connection[]) {
    this.all = conns;
    this.idle = [...conns];
  }

  static async open(dsn: string, connections: number): Promise<BulkWriter> {
    const c = parseMysqlDsn(dsn);
    const conns: mysql.Connection[] = [];
    try {
      for (let i = 0; i < connections; i++) {
        const conn = await mysql.createConnection({ ...c, charset: 'utf8mb4', timezone: 'Z', dateStrings: true, supportBigNumbers: true });
        conns.push(conn);
        await conn.query('SET SESSION foreign_key_checks = 0');
      }
    } catch (err) {
      await Promise.allSettled(conns.map((x) => x.end()));
      throw err;
    }
    return new BulkWriter(conns);
  }

  private async acquire(): Promise<mysql.Connection> {
    const c = this.idle.pop();
    if (c) return c;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(c: mysql.Connection): void {
    const w = this.waiters.shift();
    if (w) w(c);
    else this.idle.push(c);
  }

  /** Runs one statement on any connection, throwing on a server warning. */
  async exec(sql: string): Promise<void> {
    const conn = await this.acquire();
    try {
      await runChecked(conn, sql);
    } finally {
      this.release(conn);
    }
  }

  /** Queues one batch; resolves once it is handed to a connection (not when it is written). */
  async insert(table: string, columns: readonly string[], rows: Row[]): Promise<void> {
    if (this.failure) throw this.failure;
    const conn = await this.acquire();
    if (this.failure) {
      this.release(conn);
      throw this.failure;
    }
    const sql = insertSql(table, columns, rows);
    const p: Promise<void> = runChecked(conn, sql)
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.inFlight.delete(p);
        this.release(conn);
      });
    this.inFlight.add(p);
  }

  /** Waits for every queued batch; throws the first failure. */
  async flush(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await Promise.allSettled(this.all.map((c) => c.end()));
  }
}

async function runChecked(conn: mysql.Connection, sql: string): Promise<void> {
  const [res] = await conn.query(sql);
  const warnings = (res as { warningStatus?: number }).warningStatus ?? 0;
  if (warnings > 0) {
    const [rows] = await conn.query('SHOW WARNINGS LIMIT 3');
    const text = (rows as { Level: string; Code: number; Message: string }[]).map((w) => `${w.Level} ${w.Code}: ${w.Message}`).join('; ');
    throw new Error(`server reported ${warnings} warning(s) on "${sql.slice(0, 60)}…": ${text}`);
  }
}
