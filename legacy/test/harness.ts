import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { silentLogger } from '../../lib/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../test/helpers/db.ts';
import type { AppDeps } from '../http/deps.ts';
import { Fixtures } from './fixtures.ts';

export interface Harness {
  db: TestDatabase;
  fx: Fixtures;
  base: string;
  call(method: string, path: string, opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
}

/** A fresh database with the legacy schema and one app on port 0. */
export async function startHarness(prefix: string, createApp: (deps: AppDeps) => Express, clock?: AppDeps['clock']): Promise<Harness> {
  const db = await createTestDatabase(prefix);
  const app = createApp({ knex: db.knex, logger: silentLogger(), clock });
  const server: Server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    db,
    fx: new Fixtures(db.knex),
    base,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
      const res = await fetch(base + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try { parsed = text ? JSON.parse(text) : null; } catch { /* keep text */ }
      return { status: res.status, headers: res.headers, body: parsed };
    },
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await closed;
      await db.drop();
    },
  };
}
