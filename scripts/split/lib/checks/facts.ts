import mysql from 'mysql2/promise';
import { parseMysqlDsn } from '../../../../lib/db.ts';
import { maskSecretsInText } from '../../../../lib/mask.ts';
import { readCatalog, type Catalog, type SplitContext } from '../context.ts';
import { tableInfo, type TableInfo } from '../introspect.ts';
import { scanCode, type CodeScan } from '../scan.ts';
import { STATE_TABLE, q, qq } from '../sql.ts';
import type { SplitState } from '../state.ts';

/** What one server says about itself and the tool's user on it. */
export interface ServerFacts {
  version: string;
  logBin: boolean;
  trustFunctionCreators: boolean;
  /** Lines of SHOW GRANTS (the current user's grants plus those of its enabled role). */
  grants: string[];
}

export type TargetProbe =
  | { reachable: true; server: ServerFacts; databaseExists: boolean }
  | { reachable: false; error: string };

export interface TriggerRow {
  name: string;
  table: string;
  event: string;
  timing: string;
  body: string;
}

/** Tables row counts are probed up to this many rows (enough to say "holds rows" and give an idea). */
export const DEFAULT_ROWS_PROBE_LIMIT = 1000;

/**
 * Everything the checks read, each read once and only when a check asks for it.
 * Reads only: nothing here creates, alters or writes anything on either side.
 */
export class Facts {
  readonly ctx: SplitContext;
  private readonly memo = new Map<string, Promise<unknown>>();
  constructor(ctx: SplitContext) {
    this.ctx = ctx;
  }

  get moved(): string[] {
    return this.ctx.service.spec.tables;
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.memo.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.memo.set(key, p);
    }
    return p;
  }

  /** Moved tables and every FK of the source database. */
  catalog(): Promise<Catalog> {
    return this.once('catalog', () => readCatalog(this.ctx.source, this.moved));
  }

  source(): Promise<ServerFacts> {
    return this.once('source', () => serverFacts(this.ctx.service.sourceDsn));
  }

  /** The target server, reached without selecting the target database (it may not exist yet). */
  target(): Promise<TargetProbe> {
    return this.once('target', async () => {
      try {
        const server = await serverFacts(this.ctx.service.targetDsn);
        const exists = await withServer(this.ctx.service.targetDsn, async (c) => {
          const [rows] = await c.query('SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [this.ctx.target.db]);
          return Number((rows as Array<{ n: number }>)[0].n) > 0;
        });
        return { reachable: true, server, databaseExists: exists };
      } catch (err) {
        return { reachable: false, error: maskSecretsInText(String((err as Error).message ?? err)).split('\n')[0] };
      }
    });
  }

  /** The database holding service_ownership (the cutover flips a row there). */
  ownership(): Promise<ServerFacts> {
    return this.once('ownership', () => serverFacts(this.ctx.service.ownershipDsn));
  }

  /** Moved tables as they are on the target (empty map when the target database does not exist). */
  targetTables(): Promise<Map<string, TableInfo>> {
    return this.once('targetTables', async () => {
      const out = new Map<string, TableInfo>();
      const t = await this.target();
      if (!t.reachable || !t.databaseExists) return out;
      for (const name of this.moved) out.set(name, await tableInfo(this.ctx.target.knex, this.ctx.target.db, name));
      return out;
    });
  }

  /** Rows in each moved table on the target, counted up to DEFAULT_ROWS_PROBE_LIMIT + 1. */
  targetRows(): Promise<Map<string, number>> {
    return this.once('targetRows', async () => {
      const out = new Map<string, number>();
      for (const [name, info] of await this.targetTables()) {
        if (!info.exists) continue;
        const [[r]] = await this.ctx.target.knex.raw(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${qq(this.ctx.target.db, name)} LIMIT ${DEFAULT_ROWS_PROBE_LIMIT + 1}) x`);
        out.set(name, Number(r.n));
      }
      return out;
    });
  }

  /** Triggers on one side's database (every trigger, the tool's included). */
  triggers(side: 'source' | 'target'): Promise<TriggerRow[]> {
    return this.once(`triggers:${side}`, async () => {
      if (side === 'target') {
        const t = await this.target();
        if (!t.reachable || !t.databaseExists) return [];
      }
      const s = side === 'source' ? this.ctx.source : this.ctx.target;
      const [rows] = await s.knex.raw(
        `SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl, EVENT_MANIPULATION AS ev, ACTION_TIMING AS tm, ACTION_STATEMENT AS body
           FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY EVENT_OBJECT_TABLE, TRIGGER_NAME`,
        [s.db],
      );
      return (rows as Array<Record<string, string>>).map((r) => ({ name: r.name, table: r.tbl, event: r.ev, timing: r.tm, body: String(r.body ?? '') }));
    });
  }

  /** Every split state document in the source database (read-only: a missing state table means none). */
  states(): Promise<SplitState[]> {
    return this.once('states', async () => {
      const k = this.ctx.source.knex;
      const [[exists]] = await k.raw('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?', [this.ctx.source.db, STATE_TABLE]);
      if (!Number(exists.n)) return [];
      const [rows] = await k.raw(`SELECT doc FROM ${q(STATE_TABLE)} ORDER BY service`);
      return (rows as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as SplitState);
    });
  }

  async ownState(): Promise<SplitState | undefined> {
    return (await this.states()).find((s) => s.service === this.ctx.service.name);
  }

  /** Every base table and view of the source database (names outside it are aliases or CTEs, not tables that stay). */
  sourceTables(): Promise<string[]> {
    return this.once('sourceTables', async () => {
      const [rows] = await this.ctx.source.knex.raw('SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [this.ctx.source.db]);
      return (rows as Array<{ t: string }>).map((r) => r.t);
    });
  }

  /** The application's code (manifest `code` / --code) read for access to the moved tables; nothing scanned when none is given. */
  code(): Promise<CodeScan> {
    return this.once('code', async () => {
      const { code, seam } = this.ctx.service;
      if (!code?.length) return { roots: [], files: 0, hits: [], unparsed: [] };
      return scanCode({ roots: code, moved: this.moved, known: await this.sourceTables(), seam });
    });
  }
}

/** Runs `fn` on a dedicated connection to the DSN's server, no database selected (so a missing database is no error). */
export async function withServer<T>(dsn: string, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = parseMysqlDsn(dsn);
  const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, charset: 'utf8mb4', connectTimeout: 10_000 });
  try {
    return await fn(conn);
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}

async function serverFacts(dsn: string): Promise<ServerFacts> {
  return withServer(dsn, async (c) => {
    const [v] = await c.query('SELECT VERSION() AS v, @@log_bin AS lb, @@log_bin_trust_function_creators AS tf');
    const row = (v as Array<Record<string, unknown>>)[0];
    const [g] = await c.query('SHOW GRANTS');
    const grants = (g as Array<Record<string, string>>).map((r) => String(Object.values(r)[0]));
    return { version: String(row.v), logBin: String(row.lb) === '1', trustFunctionCreators: String(row.tf) === '1', grants };
  });
}
