/**
 * The process registry `npm start` runs. Adding a process to the stack is one
 * entry here: its name, entry file, the env var carrying its port (with the
 * default), and how to tell it is ready. Everything else in the environment
 * (MYSQL_URL, REDIS_URL, LOG_LEVEL, …) is passed through to every child.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { port as portField } from '../lib/config.ts';
import type { ChildSpec } from './supervise/supervisor.ts';

export interface StackEntry {
  name: string;
  /** Script path relative to the repository root. */
  entry: string;
  title: string;
  /** The env var the process reads its port from, and the default. */
  port?: { env: string; default: number };
  /** HTTP path answering 2xx once the process serves (needs `port`); otherwise the process sends an IPC ready message. */
  readyPath?: string;
  /** Defaults for this process's environment; the caller's environment wins. */
  env?: Record<string, string>;
  /** Processes that must be ready before this one starts (those not selected by --only are ignored). */
  after?: string[];
}

export const STACK: StackEntry[] = [
  { name: 'legacy-user', entry: 'legacy/user-api/index.ts', title: 'legacy user API', port: { env: 'USER_API_PORT', default: 3001 }, readyPath: '/health' },
  { name: 'legacy-admin', entry: 'legacy/admin-api/index.ts', title: 'legacy admin API', port: { env: 'ADMIN_API_PORT', default: 3002 }, readyPath: '/health' },
  { name: 'legacy-merchant', entry: 'legacy/merchant-api/index.ts', title: 'legacy merchant API', port: { env: 'MERCHANT_API_PORT', default: 3003 }, readyPath: '/health' },
  // the periodic jobs have one schedule at a time: legacy-jobs runs the SQL join while products, shops and users are
  // all legacy's; once any is split it stands back and the events process's BullMQ schedulers run them through the
  // services (both decide per run from the ownership registry; a per-job lock on the legacy database keeps runs apart)
  { name: 'legacy-jobs', entry: 'legacy/jobs/index.ts', title: 'jobs scheduler (popularity, shop stats) while co-located', env: { JOBS_AFTER_SPLIT: 'events' } },
  { name: 'shop', entry: 'services/shop/index.ts', title: 'shop service (HTTP edge; Thrift :9002)', port: { env: 'SHOP_HTTP_PORT', default: 4002 }, readyPath: '/health' },
  { name: 'product', entry: 'services/product/index.ts', title: 'product service (HTTP edge; Thrift :9001)', port: { env: 'PRODUCT_HTTP_PORT', default: 4001 }, readyPath: '/health' },
  { name: 'user', entry: 'services/user/index.ts', title: 'user service (HTTP edge; Thrift :9003)', port: { env: 'USER_HTTP_PORT', default: 4003 }, readyPath: '/health' },
  { name: 'search', entry: 'services/search/index.ts', title: 'search service (HTTP edge; Thrift :9004)', port: { env: 'SEARCH_HTTP_PORT', default: 4004 }, readyPath: '/health', env: { REINDEX_WHEN_EMPTY: 'true' } },
  // the outbox relays (legacy and product databases) and BullMQ: periodic jobs through the services after a split
  { name: 'events', entry: 'services/jobs/index.ts', title: 'events: outbox relay → BullMQ, periodic jobs after a split', env: { JOBS_WHILE_COLOCATED: 'legacy' } },
  // started once every API it proxies to answers: no 502 (and no 502 in a route's live stats) during start-up
  { name: 'facade', entry: 'strangler/index.ts', title: 'strangler facade (admin API :8081)', port: { env: 'STRANGLER_PORT', default: 8080 }, readyPath: '/__strangler/health',
    after: ['legacy-user', 'legacy-admin', 'legacy-merchant', 'shop', 'product', 'user', 'search'] },
];

const ROOT = resolve(fileURLToPath(import.meta.url), '../..');

export interface ResolvedEntry extends ChildSpec {
  title: string;
  port?: number;
}

/** The entries named by `--only a,b` (all when absent), in registry order; unknown names are an error. */
export function selectEntries(entries: StackEntry[], only?: string[]): StackEntry[] {
  if (!only) return entries;
  const known = new Set(entries.map((e) => e.name));
  const unknown = only.filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`unknown process ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${[...known].join(', ')})`);
  if (!only.length) throw new Error('--only needs at least one process name');
  return entries.filter((e) => only.includes(e.name));
}

/** Reads each entry's port from env (validated, one message per bad field), refuses two entries on one port. */
export function resolveStack(entries: StackEntry[], env: NodeJS.ProcessEnv, host = '127.0.0.1'): ResolvedEntry[] {
  const problems: string[] = [];
  const byPort = new Map<number, string>();
  const out: ResolvedEntry[] = [];
  const selected = new Set(entries.map((e) => e.name));
  for (const e of entries) {
    let port: number | undefined;
    if (e.port) {
      const parsed = portField(e.port.default).safeParse(env[e.port.env] === '' ? undefined : env[e.port.env]);
      if (!parsed.success) {
        problems.push(`${e.port.env}: ${parsed.error.issues[0]?.message ?? 'invalid port'}`);
        continue;
      }
      port = parsed.data;
      if (port === 0) {
        problems.push(`${e.port.env}: the stack needs a fixed port (0 is not allowed here)`);
        continue;
      }
      const clash = byPort.get(port);
      if (clash) problems.push(`${e.port.env}: port ${port} is already used by ${clash}`);
      byPort.set(port, e.name);
    }
    out.push({
      name: e.name, title: e.title, entry: resolve(ROOT, e.entry), port,
      env: { ...e.env, ...env, ...(e.port && port !== undefined ? { [e.port.env]: String(port) } : {}) },
      readyUrl: e.readyPath && port !== undefined ? `http://${host}:${port}${e.readyPath}` : undefined,
      readyMessage: !e.readyPath,
      ...(e.after ? { after: e.after.filter((n) => selected.has(n)) } : {}),
    });
  }
  if (problems.length) throw new Error(`invalid configuration: ${problems.join('; ')}`);
  return out;
}
