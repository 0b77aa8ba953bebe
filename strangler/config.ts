/**
 * Facade configuration from the environment, parsed once by the entry point.
 * Local defaults match `npm start`; production (NODE_ENV=production) refuses
 * the well-known local admin token and must set STRANGLER_ADMIN_TOKEN.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_OWNERSHIP_POLL_MS } from '../lib/ownership/mysql.ts';
import { DEFAULT_REDIS_URL, int, parseConfig, port } from '../lib/config.ts';
import { DEFAULT_CLIENT_DRAIN_TIMEOUT_MS } from './engine.ts';
import { DEFAULT_BODY_IDLE_TIMEOUT_MS, DEFAULT_BODY_LIMIT, DEFAULT_BUFFER_TOTAL_LIMIT, DEFAULT_CAPTURE_LIMIT } from './facade.ts';
import { proxyEntryError } from './sticky.ts';
import { DEFAULT_REDIS_PREFIX } from './sources/redis.ts';
import {
  DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
  DEFAULT_MAX_UPGRADES_PER_UPSTREAM, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_UPGRADE_TIMEOUT_MS, type ConnectionLimits,
} from './connections.ts';
import { DEFAULT_ADMIN_PORT, DEFAULT_PORT, LOCAL_ADMIN_TOKEN } from './defaults.ts';

export { DEFAULT_ADMIN_PORT, DEFAULT_PORT, LOCAL_ADMIN_TOKEN };

export const DEFAULT_HOST = '0.0.0.0';
export const DEFAULT_ADMIN_HOST = '127.0.0.1';
/** The committed route table: the template a fresh checkout starts from. */
export const ROUTES_TEMPLATE_FILE = fileURLToPath(new URL('./routes.json', import.meta.url));
/**
 * True when running from this repository (the committed template sits next to this module). The installed npm
 * package (@strangler-fig/facade) ships no demo table: there STRANGLER_ROUTES is required and state defaults to
 * `.strangler/` in the working directory instead of a folder inside node_modules.
 */
export const HAS_ROUTES_TEMPLATE = existsSync(ROUTES_TEMPLATE_FILE);
/** Default state folder: the git-ignored strangler/var/ in the repository, `./.strangler/` when installed. */
export const DEFAULT_STATE_FOLDER = HAS_ROUTES_TEMPLATE ? fileURLToPath(new URL('./var', import.meta.url)) : resolve('.strangler');
/**
 * The live table the file source reads and admin changes rewrite: `routes.json` in the state directory
 * (STRANGLER_STATE_DIR, default the audit file's folder, i.e. DEFAULT_STATE_FOLDER). It is created
 * from the seed (STRANGLER_ROUTES, default the committed template) when missing; the seed is only ever read,
 * so cutting routes over never rewrites the adopter's own file. Delete the live table to start over.
 */
export const DEFAULT_ROUTES_FILE = join(DEFAULT_STATE_FOLDER, 'routes.json');
export const LIVE_ROUTES_FILE = 'routes.json';
export const DEFAULT_AUDIT_FILE = join(DEFAULT_STATE_FOLDER, 'audit.jsonl');
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export const facadeConfigSchema = z.object({
  NODE_ENV: z.string().default('development'),
  STRANGLER_HOST: z.string().min(1).default(DEFAULT_HOST),
  STRANGLER_PORT: port(DEFAULT_PORT),
  STRANGLER_ADMIN_HOST: z.string().min(1).default(DEFAULT_ADMIN_HOST),
  STRANGLER_ADMIN_PORT: port(DEFAULT_ADMIN_PORT),
  STRANGLER_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  STRANGLER_SOURCE: z.enum(['file', 'redis']).default('file'),
  /** '0' sends every upstream request through undici instead of the lean client (relay/pool.ts); read by upstreams.ts, checked here once. */
  STRANGLER_LEAN_CLIENT: z.enum(['0', '1'], { error: "must be '1' (the lean upstream client, default) or '0' (undici for everything)" }).default('1'),
  /** '1' (default): GET shadow/noise copies pipelined (relay/pipeline-pool.ts); '0': one per connection at a time; read by upstreams.ts, checked here once. */
  STRANGLER_SHADOW_PIPELINE: z.enum(['0', '1'], { error: "must be '1' (pipelined GET shadow copies, default) or '0' (one shadow copy per connection at a time)" }).default('1'),
  /** '0' serves the proxy port with node:http alone, without the fast server leg (fastpath/server-leg.ts); read by index.ts, checked here once. */
  STRANGLER_FAST_SERVER: z.enum(['0', '1'], { error: "must be '1' (the fast server leg, default) or '0' (node:http only)" }).default('1'),
  STRANGLER_ROUTES: HAS_ROUTES_TEMPLATE
    ? z.string().min(1).default(DEFAULT_ROUTES_FILE)
    : z.string({ error: 'required: the route table to seed from (the installed package has no default table)' }).min(1),
  REDIS_URL: z.string().url().default(DEFAULT_REDIS_URL),
  STRANGLER_REDIS_PREFIX: z.string().default(DEFAULT_REDIS_PREFIX),
  STRANGLER_AUDIT_FILE: z.string().min(1).default(DEFAULT_AUDIT_FILE),
  /** Where the live route table (file source) and the last applied table live; default: the audit file's folder. */
  STRANGLER_STATE_DIR: z.string().min(1).optional(),
  STRANGLER_BODY_LIMIT: int(DEFAULT_BODY_LIMIT, 1),
  STRANGLER_CAPTURE_LIMIT: int(DEFAULT_CAPTURE_LIMIT, 1024),
  STRANGLER_SHUTDOWN_GRACE_MS: int(DEFAULT_SHUTDOWN_GRACE_MS, 0),
  STRANGLER_BUFFER_TOTAL_LIMIT: int(DEFAULT_BUFFER_TOTAL_LIMIT, 1024),
  STRANGLER_BODY_IDLE_TIMEOUT_MS: int(DEFAULT_BODY_IDLE_TIMEOUT_MS, 10).pipe(z.number().max(3_600_000)),
  STRANGLER_FIRST_BYTE_TIMEOUT_MS: int(DEFAULT_FIRST_BYTE_TIMEOUT_MS, 1),
  STRANGLER_HEADERS_TIMEOUT_MS: int(DEFAULT_HEADERS_TIMEOUT_MS, 1),
  STRANGLER_REQUEST_TIMEOUT_MS: int(DEFAULT_REQUEST_TIMEOUT_MS, 1),
  STRANGLER_KEEPALIVE_TIMEOUT_MS: int(DEFAULT_KEEPALIVE_TIMEOUT_MS, 1),
  /** Unset: DEFAULT_MAX_CONNECTIONS, lowered to half the open-files limit at start. */
  STRANGLER_MAX_CONNECTIONS: z.coerce.number().int().min(1).optional(),
  STRANGLER_MAX_CONNECTIONS_PER_CLIENT: int(DEFAULT_MAX_CONNECTIONS_PER_CLIENT, 0),
  STRANGLER_UPGRADE_TIMEOUT_MS: int(DEFAULT_UPGRADE_TIMEOUT_MS, 1),
  STRANGLER_MAX_UPGRADES_PER_UPSTREAM: int(DEFAULT_MAX_UPGRADES_PER_UPSTREAM, 1),
  STRANGLER_CLIENT_DRAIN_TIMEOUT_MS: int(DEFAULT_CLIENT_DRAIN_TIMEOUT_MS, 10).pipe(z.number().max(3_600_000)),
  /** MySQL DSN of the ownership registry's database: routes with a `domain` stop falling back to legacy once it is split. Unset: off. */
  STRANGLER_OWNERSHIP_URL: z.string().optional().refine((v) => v === undefined || v === '' || /^mysql:\/\/[^/]/.test(v), { message: 'must be a mysql:// DSN naming the registry database' }),
  STRANGLER_OWNERSHIP_POLL_MS: int(DEFAULT_OWNERSHIP_POLL_MS, 100),
  /** Comma-separated mysql:// DSNs of the databases holding split-db's state (each split's source database): the dashboard's data page reads them, read-only. */
  STRANGLER_SPLIT_STATE_URLS: z.string().default('').transform((v, ctx) => {
    const dsns = v.split(',').map((e) => e.trim()).filter((e) => e !== '');
    for (const d of dsns) if (!/^mysql:\/\/[^/]+\/[^/?]+/.test(d)) ctx.addIssue({ code: 'custom', message: 'each entry must be a mysql:// DSN naming a database' });
    return dsns;
  }),
  /** Comma-separated IPs / CIDRs whose X-Forwarded-For is believed for the sticky client address (none by default). */
  STRANGLER_TRUSTED_PROXIES: z.string().default('').transform((v, ctx) => {
    const entries = v.split(',').map((e) => e.trim()).filter((e) => e !== '');
    for (const e of entries) {
      const err = proxyEntryError(e);
      if (err !== null) ctx.addIssue({ code: 'custom', message: err });
    }
    return entries;
  }),
}).superRefine((c, ctx) => {
  if (c.STRANGLER_BUFFER_TOTAL_LIMIT < c.STRANGLER_BODY_LIMIT) {
    ctx.addIssue({ code: 'custom', path: ['STRANGLER_BUFFER_TOTAL_LIMIT'], message: `must be at least STRANGLER_BODY_LIMIT (${c.STRANGLER_BODY_LIMIT})` });
  }
  if (c.STRANGLER_HEADERS_TIMEOUT_MS > c.STRANGLER_REQUEST_TIMEOUT_MS) {
    ctx.addIssue({ code: 'custom', path: ['STRANGLER_HEADERS_TIMEOUT_MS'], message: `must not exceed STRANGLER_REQUEST_TIMEOUT_MS (${c.STRANGLER_REQUEST_TIMEOUT_MS})` });
  }
  if (c.NODE_ENV === 'production' && (c.STRANGLER_ADMIN_TOKEN === undefined || c.STRANGLER_ADMIN_TOKEN === LOCAL_ADMIN_TOKEN)) {
    ctx.addIssue({ code: 'custom', path: ['STRANGLER_ADMIN_TOKEN'], message: 'must be set explicitly (and not to the local default) when NODE_ENV=production' });
  }
});

export interface FacadeConfig {
  host: string;
  port: number;
  adminHost: string;
  adminPort: number;
  adminToken: string;
  source: { kind: 'file'; path: string; template?: string } | { kind: 'redis'; url: string; prefix: string; seedFile: string };
  auditFile: string;
  /** The live table (file source) and the last applied table (Redis source) are kept here; default dirname(auditFile). */
  stateDir?: string;
  bodyLimit: number;
  captureLimit: number;
  shutdownGraceMs: number;
  /** All request bodies buffered at once, in bytes (over it: 503 REQUEST_BUFFER_FULL). Default DEFAULT_BUFFER_TOTAL_LIMIT. */
  bufferTotalLimit?: number;
  /** No request body byte for this long → 408 REQUEST_TIMEOUT. Default DEFAULT_BODY_IDLE_TIMEOUT_MS. */
  bodyIdleTimeoutMs?: number;
  /** Client connection deadlines and caps (connections.ts); missing fields take their defaults. */
  connections?: Partial<ConnectionLimits>;
  /** A paused response whose client does not drain it for this long is cut. Default DEFAULT_CLIENT_DRAIN_TIMEOUT_MS. */
  clientDrainTimeoutMs?: number;
  /** Trusted proxies (IPs / CIDRs) added to the table's options.trustedProxies. Default none. */
  trustedProxies?: string[];
  /** The ownership registry to watch (STRANGLER_OWNERSHIP_URL + REDIS_URL); off when undefined. */
  ownership?: { dsn: string; redisUrl?: string; channel?: string; pollMs?: number; retryMs?: number };
  /** Configuration the facade accepted but warns about at start (logged at warn). */
  warnings?: string[];
  /** split-db state databases the dashboard reads (STRANGLER_SPLIT_STATE_URLS); empty: none. */
  splitStateDsns?: string[];
}

/**
 * The file source's live table and seed: the live table is `<state dir>/routes.json`; the seed is STRANGLER_ROUTES
 * (read only), or the committed template when unset or when it names the live table itself (as before).
 */
export function fileSourcePaths(routes: string, stateDir: string): { path: string; template: string } {
  const live = join(stateDir, LIVE_ROUTES_FILE);
  // installed from npm there is no template: a seed naming the live table is just the live table
  const seed = resolve(routes) === resolve(live) && HAS_ROUTES_TEMPLATE ? ROUTES_TEMPLATE_FILE : routes;
  return { path: live, template: seed };
}

/** `STRANGLER_ADMIN_TOKEN=` (empty, e.g. from a template .env) means unset, with a warning: not a 16-character error. */
export const EMPTY_ADMIN_TOKEN_WARNING = 'STRANGLER_ADMIN_TOKEN is set but empty: treated as unset (the local development token applies; production refuses it)';

export function loadFacadeConfig(env: NodeJS.ProcessEnv): FacadeConfig {
  const emptyToken = env.STRANGLER_ADMIN_TOKEN !== undefined && env.STRANGLER_ADMIN_TOKEN.trim() === '';
  const c = parseConfig(facadeConfigSchema, emptyToken ? { ...env, STRANGLER_ADMIN_TOKEN: undefined } : env);
  const stateDir = c.STRANGLER_STATE_DIR ?? dirname(c.STRANGLER_AUDIT_FILE);
  return {
    host: c.STRANGLER_HOST,
    port: c.STRANGLER_PORT,
    adminHost: c.STRANGLER_ADMIN_HOST,
    adminPort: c.STRANGLER_ADMIN_PORT,
    adminToken: c.STRANGLER_ADMIN_TOKEN ?? LOCAL_ADMIN_TOKEN,
    warnings: emptyToken ? [EMPTY_ADMIN_TOKEN_WARNING] : [],
    source: c.STRANGLER_SOURCE === 'redis'
      ? { kind: 'redis', url: c.REDIS_URL, prefix: c.STRANGLER_REDIS_PREFIX, seedFile: c.STRANGLER_ROUTES === DEFAULT_ROUTES_FILE ? ROUTES_TEMPLATE_FILE : c.STRANGLER_ROUTES }
      : { kind: 'file', ...fileSourcePaths(c.STRANGLER_ROUTES === DEFAULT_ROUTES_FILE ? ROUTES_TEMPLATE_FILE : c.STRANGLER_ROUTES, stateDir) },
    auditFile: c.STRANGLER_AUDIT_FILE,
    stateDir,
    bodyLimit: c.STRANGLER_BODY_LIMIT,
    captureLimit: c.STRANGLER_CAPTURE_LIMIT,
    shutdownGraceMs: c.STRANGLER_SHUTDOWN_GRACE_MS,
    bufferTotalLimit: c.STRANGLER_BUFFER_TOTAL_LIMIT,
    bodyIdleTimeoutMs: c.STRANGLER_BODY_IDLE_TIMEOUT_MS,
    connections: {
      firstByteTimeoutMs: c.STRANGLER_FIRST_BYTE_TIMEOUT_MS,
      headersTimeoutMs: c.STRANGLER_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: c.STRANGLER_REQUEST_TIMEOUT_MS,
      keepAliveTimeoutMs: c.STRANGLER_KEEPALIVE_TIMEOUT_MS,
      maxConnections: c.STRANGLER_MAX_CONNECTIONS,
      maxConnectionsPerClient: c.STRANGLER_MAX_CONNECTIONS_PER_CLIENT,
      upgradeTimeoutMs: c.STRANGLER_UPGRADE_TIMEOUT_MS,
      maxUpgradesPerUpstream: c.STRANGLER_MAX_UPGRADES_PER_UPSTREAM,
    },
    clientDrainTimeoutMs: c.STRANGLER_CLIENT_DRAIN_TIMEOUT_MS,
    trustedProxies: c.STRANGLER_TRUSTED_PROXIES,
    splitStateDsns: c.STRANGLER_SPLIT_STATE_URLS,
    ownership: c.STRANGLER_OWNERSHIP_URL ? { dsn: c.STRANGLER_OWNERSHIP_URL, redisUrl: c.REDIS_URL, pollMs: c.STRANGLER_OWNERSHIP_POLL_MS } : undefined,
  };
}
