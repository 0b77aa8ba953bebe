/**
 * The route table document: upstreams, prefix/host fallbacks and routes with a
 * per-route mode. Validated in two passes that both always run, so every error
 * is listed at once: a structural zod parse and semantic checks (references,
 * duplicates, mode requirements). Each message is prefixed with its path.
 */
import { z } from 'zod';
import { foldCase, normaliseHost } from './normalize.ts';
import { parsePattern } from './pattern.ts';
import { rewriteError, type RewriteSpec } from './rewrite.ts';
import { DOMAIN_PATTERN } from '../../lib/ownership/types.ts';
import { DEFAULT_JWT_CLAIM, STICKY_FROM, proxyEntryError } from '../sticky.ts';

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
export const DEFAULT_POOL_SIZE = 64;
/** A request not handed to a pooled connection within this long gets 503 UPSTREAM_BUSY. */
export const DEFAULT_QUEUE_TIMEOUT_MS = 2_000;
/** Concurrent streamed uploads per upstream, as a share of its pool (at least 1); over it, bodies are buffered first. */
export const DEFAULT_UPLOAD_SHARE = 0.25;

export const DEFAULT_SHADOW_SAMPLE = 1;
export const DEFAULT_SHADOW_TIMEOUT_MS = 2_000;
export const DEFAULT_SHADOW_MAX_CONCURRENCY = 32;
/**
 * Connections per upstream for shadow and noise copies (separate from the live pool): as many as one route may have
 * copies in flight by default. Fewer would be a lower, hidden cap — copies would queue for a connection, the queue
 * would fill the route's in-flight cap and further copies be skipped (it was 4: at sample 1.0 under load, 58 % of the
 * facade benchmark's requests got no copy), and the copies' latency would be mostly that queue.
 */
export const DEFAULT_SHADOW_POOL_SIZE = DEFAULT_SHADOW_MAX_CONCURRENCY;
export const DEFAULT_NOISE_SAMPLE = 0.1;
export const DEFAULT_DIFF_HISTORY = 50;
export const DEFAULT_COMPARE_HEADERS = ['content-type'];
/** Distinct difference paths counted per route (and as many for noise); the rest are counted as "other". */
export const DEFAULT_DIFF_PATHS = 200;
export const DEFAULT_BREAKER = {
  consecutiveFailures: 5,
  errorRate: 0.5,
  windowMs: 10_000,
  minRequests: 20,
  openMs: 5_000,
  halfOpenProbes: 1,
} as const;

export const MODES = ['legacy', 'shadow', 'canary', 'service'] as const;
export type Mode = (typeof MODES)[number];
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
const ROUTE_ID_RE = /^[a-z0-9][a-z0-9._:-]{0,127}$/i;
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const TAG_RE = /^[a-z0-9][a-z0-9._:-]{0,63}$/i;

const upstreamSchema = z.strictObject({
  url: z.string().refine((u) => /^https?:\/\/[^/]+/.test(u) && URL.canParse(u), 'must be an http(s) URL'),
  timeoutMs: z.number().int().min(1).max(600_000).default(DEFAULT_UPSTREAM_TIMEOUT_MS),
  connectTimeoutMs: z.number().int().min(1).max(60_000).default(DEFAULT_CONNECT_TIMEOUT_MS),
  pool: z.number().int().min(1).max(4096).default(DEFAULT_POOL_SIZE),
  queueTimeoutMs: z.number().int().min(1).max(600_000).default(DEFAULT_QUEUE_TIMEOUT_MS),
  /** Default: a quarter of `pool`, at least 1 (upstreams.ts `uploadCap`). */
  maxUploads: z.number().int().min(1).max(4096).optional(),
  shadowPool: z.number().int().min(1).max(256).default(DEFAULT_SHADOW_POOL_SIZE),
}).superRefine((u, ctx) => {
  if (u.maxUploads !== undefined && u.maxUploads > u.pool) ctx.addIssue({ code: 'custom', path: ['maxUploads'], message: `must not exceed pool (${u.pool})` });
});

/**
 * One syntax for JSON body paths (docs/facade.md "Paths"): written as the diff and noise reports print them,
 * `body.error.id` (also accepted: `$.error.id` and the bare `error.id`), stored and applied without the root.
 * A top-level key that is itself named "body" is written `body.body.x`. Headers and the status are not body paths.
 */
export function bodyPath(what: string) {
  return z.string().min(1).transform((raw, ctx) => {
    const p = raw.trim();
    if (/^(header:|headers\.)/i.test(p)) {
      const name = p.replace(/^(header:|headers\.)/i, '').toLowerCase();
      ctx.addIssue({ code: 'custom', message: `"${raw}" is a header: headers are compared only when listed in shadow.headers; remove "${name}" from shadow.headers to stop comparing it` });
      return z.NEVER;
    }
    if (p === 'status') {
      ctx.addIssue({ code: 'custom', message: '"status": the status is always compared (to ignore a body key named "status", write body.status)' });
      return z.NEVER;
    }
    const bare = p.startsWith('body.') ? p.slice(5) : p.startsWith('$.') ? p.slice(2) : p;
    if (p === 'body' || p === '$' || bare === '') {
      ctx.addIssue({ code: 'custom', message: `"${raw}" names the whole body: ${what} needs a path inside it, e.g. "body.meta.generatedAt"` });
      return z.NEVER;
    }
    if (bare.split('.').some((s) => s === '')) {
      ctx.addIssue({ code: 'custom', message: `"${raw}": empty segment (paths are dot-separated keys, "*" or an index)` });
      return z.NEVER;
    }
    return bare;
  });
}

/** How a stored (root-less) body path is shown: the way the reports print it. */
export const showBodyPath = (p: string) => `body.${p}`;

const unorderedSchema = z.strictObject({ path: bodyPath('unordered'), key: z.string().min(1).optional() });

export const DEFAULT_OVERLAP_TOP = 10;
export const OVERLAP_MEASURES = ['recall', 'jaccard'] as const;
export const OVERLAP_JUDGE = ['always', 'complete'] as const;
/** One JSON location (a list or a count): dot-separated keys, no `*` and no index. */
const singlePath = bodyPath('overlap').refine((p) => p.split('.').every((s) => s !== '' && s !== '*' && !/^\d+$/.test(s)),
  'must name one place: dot-separated keys, no "*" or index');

/**
 * Set-overlap comparison of a list (docs/facade.md): the keys of legacy's first `top` items are looked for among the
 * service's first `within` items; a match when the measure reaches `min`. Items present in both are compared field by
 * field (`fields`, default all). An optional count (`total`) may differ by `ratio` of legacy's, or be any larger with
 * `allowMore`. `judge: "complete"` holds the score against the answer only when one list is its whole result.
 */
const overlapSchema = z.strictObject({
  path: singlePath,
  key: z.string().min(1),
  top: z.number().int().min(1).max(1000).default(DEFAULT_OVERLAP_TOP),
  within: z.number().int().min(1).max(10_000).optional(),
  measure: z.enum(OVERLAP_MEASURES).default('recall'),
  min: z.number().min(0).max(1),
  judge: z.enum(OVERLAP_JUDGE).default('always'),
  fields: z.array(z.string().min(1)).min(1).optional(),
  total: z.strictObject({
    path: singlePath,
    ratio: z.number().min(0).max(100).default(0),
    allowMore: z.boolean().default(false),
  }).optional(),
}).superRefine((o, ctx) => {
  if (o.within !== undefined && o.within < o.top) ctx.addIssue({ code: 'custom', path: ['within'], message: `must be at least top (${o.top})` });
  if (o.judge === 'complete' && !o.total) ctx.addIssue({ code: 'custom', path: ['judge'], message: '"complete" needs total.path (a list is complete when its count ≤ its length)' });
  if (o.total && o.total.path === o.path) ctx.addIssue({ code: 'custom', path: ['total', 'path'], message: 'must differ from the list path' });
});

/** Methods a shadow route copies when `shadow.writes` is 'none' (and a fallback may retry on legacy). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

const shadowSchema = z.strictObject({
  sample: z.number().min(0).max(1).default(DEFAULT_SHADOW_SAMPLE),
  timeoutMs: z.number().int().min(1).max(60_000).default(DEFAULT_SHADOW_TIMEOUT_MS),
  maxConcurrency: z.number().int().min(1).max(10_000).default(DEFAULT_SHADOW_MAX_CONCURRENCY),
  /** 'none': writes are never shadowed; 'dark-copy': the service writes to a dark copy, so writes may be shadowed. */
  writes: z.enum(['none', 'dark-copy']).default('none'),
  ignore: z.array(bodyPath('ignore')).default([]),
  unordered: z.array(unorderedSchema).default([]),
  headers: z.array(z.string().min(1).transform((h) => h.toLowerCase())).default(DEFAULT_COMPARE_HEADERS),
  noiseSample: z.number().min(0).max(1).default(DEFAULT_NOISE_SAMPLE),
  history: z.number().int().min(1).max(10_000).default(DEFAULT_DIFF_HISTORY),
  overlap: z.array(overlapSchema).default([]),
  /** How many distinct difference paths are counted (top-N, the rest as "other"); bounds memory. */
  diffPaths: z.number().int().min(1).max(10_000).default(DEFAULT_DIFF_PATHS),
}).superRefine((s, ctx) => {
  // a list compared by overlap must not be dropped or sorted by the other options first (there would be nothing left to measure)
  const under = (p: string, q: string) => p === q || p.startsWith(q + '.') || q.startsWith(p + '.');
  const seen = new Map<string, number>();
  s.overlap.forEach((o, i) => {
    const prev = seen.get(o.path);
    if (prev !== undefined) ctx.addIssue({ code: 'custom', path: ['overlap', i, 'path'], message: `"${o.path}" is already compared by overlap.${prev}` });
    else seen.set(o.path, i);
    for (const [what, paths] of [['ignore', s.ignore], ['unordered', s.unordered.map((u) => u.path)]] as const) {
      const clash = paths.find((p) => under(p.replace(/^\$\./, ''), o.path) && !p.replace(/^\$\./, '').startsWith(o.path + '.'));
      if (clash !== undefined) ctx.addIssue({ code: 'custom', path: ['overlap', i, 'path'], message: `"${o.path}" is also in shadow.${what} ("${clash}"): remove it there, overlap compares that list` });
    }
    const tp = o.total?.path;
    const tclash = tp === undefined ? undefined : s.ignore.find((p) => under(p.replace(/^\$\./, ''), tp));
    if (tclash !== undefined) ctx.addIssue({ code: 'custom', path: ['overlap', i, 'total', 'path'], message: `"${tp}" is also in shadow.ignore ("${tclash}"): remove it there, overlap compares that count` });
  });
});

const breakerSchema = z.strictObject({
  consecutiveFailures: z.number().int().min(1).default(DEFAULT_BREAKER.consecutiveFailures),
  errorRate: z.number().gt(0).max(1).default(DEFAULT_BREAKER.errorRate),
  windowMs: z.number().int().min(100).default(DEFAULT_BREAKER.windowMs),
  minRequests: z.number().int().min(1).default(DEFAULT_BREAKER.minRequests),
  openMs: z.number().int().min(10).default(DEFAULT_BREAKER.openMs),
  halfOpenProbes: z.number().int().min(1).default(DEFAULT_BREAKER.halfOpenProbes),
});

/** A host name as compared: lower case, no trailing dot; no port, path or user info. */
const hostSchema = z.string().min(1).refine((h) => /^(?:\[[0-9a-f:.]+\]|[a-z0-9_.-]+)$/i.test(h) && !/^\.|\.\./.test(h),
  'must be a host name without port or path (e.g. "shop.example.com")').transform((h) => normaliseHost(h));

const methodSchema = z.string().transform((m) => m.toUpperCase()).pipe(z.enum(HTTP_METHODS));

/** Service-side path rewrite (rewrite.ts): a leading prefix, or a regular expression with `$1` groups. */
const rewriteSchema = z.union([
  z.strictObject({ prefix: z.string().min(1).max(1024), to: z.string().min(1).max(1024) }),
  z.strictObject({ pattern: z.string().min(1).max(1024), to: z.string().min(1).max(1024) }),
], { error: (iss) => iss.code === 'invalid_union' ? 'must be { "prefix": "/old", "to": "/new" } or { "pattern": "^/old/(.*)$", "to": "/new/$1" }' : undefined });

const routeSchema = z.strictObject({
  id: z.string().regex(ROUTE_ID_RE, 'must be letters, digits, . _ : - (max 128)'),
  methods: z.union([z.literal('*'), z.array(methodSchema).min(1)]).default('*'),
  path: z.string().min(1),
  host: hostSchema.optional(),
  /** Paths compare case-sensitively; default: the table's `options.caseSensitive`. */
  caseSensitive: z.boolean().optional(),
  headers: z.record(z.string().transform((h) => h.toLowerCase()), z.string()).optional(),
  legacy: z.string(),
  service: z.string().optional(),
  mode: z.enum(MODES).default('legacy'),
  percent: z.number().min(0).max(100).default(0),
  fallback: z.boolean().default(true),
  shadow: shadowSchema.default(() => shadowSchema.parse({})),
  breaker: breakerSchema.default(() => breakerSchema.parse({})),
  description: z.string().optional(),
  /** Rewrites the path sent to the service (primary, canary, shadow); legacy gets the original. Query kept. */
  rewrite: rewriteSchema.optional(),
  /**
   * The data domain this route serves (a name in the ownership registry, lib/ownership). With the facade watching the
   * registry (STRANGLER_OWNERSHIP_URL), fallback to legacy is off once the domain's database is `own` (split cut over).
   */
  domain: z.string().regex(DOMAIN_PATTERN, 'must be a domain name: lower-case letters, digits, _ - (max 64), starting with a letter').optional(),
  /** Legacy reads this domain through the service's seam after the split, so its answers stay current: fallback stays on. */
  legacyReadsThroughSeam: z.boolean().optional(),
  /** Labels for changing many routes at once (`strangler route set --tag catalog --mode shadow`). */
  tags: z.array(z.string().regex(TAG_RE, 'tags are letters, digits, . _ : - (max 64)')).max(32).optional(),
});

const fallbackSchema = z.strictObject({
  prefix: z.string().startsWith('/').optional(),
  host: hostSchema.optional(),
  upstream: z.string(),
});

/** A header or cookie name: an HTTP token. */
const TOKEN_NAME_RE = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;
const required = (what: string) => ({ error: (iss: { input?: unknown }) => iss.input === undefined ? `required: ${what}` : 'must be a string' });
const headerName = z.string(required('the header to read')).regex(TOKEN_NAME_RE, 'must be a header name (letters, digits, - and the other token characters)').transform((h) => h.toLowerCase());
const cookieName = z.string(required('the cookie to read')).regex(TOKEN_NAME_RE, 'must be a cookie name (letters, digits, - and the other token characters)');

/** Where the sticky canary key comes from (sticky.ts); wins over every heuristic when the request carries it. */
const stickySchema = z.discriminatedUnion('from', [
  z.strictObject({ from: z.literal('jwt'), claim: z.string().min(1, 'must name a claim, e.g. "sub"').max(256).default(DEFAULT_JWT_CLAIM) }),
  z.strictObject({ from: z.literal('header'), name: headerName }),
  z.strictObject({ from: z.literal('cookie'), name: cookieName }),
  z.strictObject({ from: z.literal('token-prefix') }),
  z.strictObject({ from: z.literal('address') }),
], { error: (iss) => iss.code === 'invalid_union' ? `"from" must be one of ${STICKY_FROM.map((f) => `"${f}"`).join(', ')}` : undefined });

const optionsSchema = z.strictObject({
  /** Adds `x-strangler-route: <id>; upstream=<name>` to responses. */
  routeHeader: z.boolean().default(false),
  sticky: stickySchema.optional(),
  /** Deprecated aliases of sticky: { from: "cookie" | "header" } (still honoured, before the heuristics). */
  stickyCookie: cookieName.optional(),
  stickyHeader: headerName.optional(),
  /** IPs / CIDRs whose X-Forwarded-For is believed for the client address (sticky key). Never by default. */
  trustedProxies: z.array(z.string().superRefine((e, ctx) => {
    const err = proxyEntryError(e);
    if (err !== null) ctx.addIssue({ code: 'custom', message: err });
  })).max(1024).optional(),
  /**
   * Paths compare case-sensitively (routes may override). Default false, as Express routes by default
   * (`caseSensitive: false`): a case-sensitive match in front of a case-insensitive legacy lets `/API/x` past a route.
   */
  caseSensitive: z.boolean().default(false),
}).superRefine((o, ctx) => {
  if (o.sticky !== undefined && (o.stickyHeader !== undefined || o.stickyCookie !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['sticky'], message: 'cannot be combined with the deprecated stickyHeader/stickyCookie: keep only sticky' });
  }
});

export const tableSchema = z.strictObject({
  /** Revision number; every write through a route source increments it. */
  version: z.number().int().min(0).default(0),
  options: optionsSchema.default(() => optionsSchema.parse({})),
  upstreams: z.record(z.string().regex(NAME_RE, 'upstream names are letters, digits, . _ -'), upstreamSchema),
  fallbacks: z.array(fallbackSchema).default([]),
  routes: z.array(routeSchema).default([]),
});

export type RouteTable = z.output<typeof tableSchema>;
export type RouteTableInput = z.input<typeof tableSchema>;
export type RouteSpec = RouteTable['routes'][number];
export type UpstreamSpec = RouteTable['upstreams'][string];
export type UpstreamInput = z.input<typeof upstreamSchema>;
export type RouteInput = z.input<typeof routeSchema>;
export type ShadowSpec = RouteSpec['shadow'];
export type OverlapSpec = ShadowSpec['overlap'][number];
export type BreakerSpec = RouteSpec['breaker'];

export type ValidationResult = { ok: true; table: RouteTable } | { ok: false; errors: string[] };

function fmtPath(path: PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(root)';
}

/** Semantic checks on the raw document; defensive about shape so they run even when the structure is broken. */
function semanticErrors(doc: unknown): string[] {
  const errors: string[] = [];
  if (typeof doc !== 'object' || doc === null) return errors;
  const d = doc as Record<string, unknown>;
  const ups = typeof d.upstreams === 'object' && d.upstreams !== null ? new Set(Object.keys(d.upstreams)) : null;
  const ref = (value: unknown, path: string) => {
    if (ups && typeof value === 'string' && !ups.has(value)) errors.push(`${path}: unknown upstream "${value}"`);
  };
  if (Array.isArray(d.fallbacks)) {
    d.fallbacks.forEach((f, i) => {
      if (typeof f !== 'object' || f === null) return;
      const fb = f as Record<string, unknown>;
      ref(fb.upstream, `fallbacks.${i}.upstream`);
      if (fb.prefix === undefined && fb.host === undefined) errors.push(`fallbacks.${i}: needs a prefix or a host`);
    });
  }
  if (!Array.isArray(d.routes)) return errors;
  const ids = new Map<string, number>();
  const signatures = new Map<string, number>();
  const opts = typeof d.options === 'object' && d.options !== null ? d.options as Record<string, unknown> : {};
  d.routes.forEach((r, i) => {
    if (typeof r !== 'object' || r === null) return;
    const route = r as Record<string, unknown>;
    const at = `routes.${i}`;
    if (typeof route.id === 'string') {
      const prev = ids.get(route.id);
      if (prev !== undefined) errors.push(`${at}.id: duplicate id "${route.id}" (also routes.${prev})`);
      else ids.set(route.id, i);
    }
    ref(route.legacy, `${at}.legacy`);
    ref(route.service, `${at}.service`);
    const mode = route.mode ?? 'legacy';
    if (mode !== 'legacy' && route.service === undefined) errors.push(`${at}.service: required when mode is "${String(mode)}"`);
    if (mode === 'canary' && route.percent === undefined) errors.push(`${at}.percent: required when mode is "canary"`);
    if (typeof route.path === 'string') {
      const p = parsePattern(route.path);
      if (!p.ok) errors.push(`${at}.path: ${p.error}`);
      else {
        const rw = route.rewrite as Record<string, unknown> | undefined;
        if (rw && typeof rw === 'object' && typeof rw.to === 'string' && (typeof rw.prefix === 'string') !== (typeof rw.pattern === 'string')) {
          const e = rewriteError(rw as RewriteSpec, route.path, (route.caseSensitive ?? opts.caseSensitive) === true);
          if (e) errors.push(`${at}.rewrite.${e.field}: ${e.message}`);
        }
        const methods = Array.isArray(route.methods) ? [...route.methods].map((m) => String(m).toUpperCase()).sort().join(',') : '*';
        const folded = (route.caseSensitive ?? opts.caseSensitive) !== true;
        const host = typeof route.host === 'string' ? normaliseHost(route.host) : '';
        const sig = `${methods} ${folded ? foldCase(p.pattern.signature) : p.pattern.signature} ${host} ${JSON.stringify(route.headers ?? {})}`;
        const prev = signatures.get(sig);
        if (prev !== undefined) errors.push(`${at}.path: same match as routes.${prev} ("${route.path}")`);
        else signatures.set(sig, i);
      }
    }
  });
  return errors;
}

/**
 * A route as shown to people (diffs, audit, PUT answers): body paths in the reports' syntax (`body.x`). Parsing the
 * result again gives the same route (`body.x` is accepted and stored as `x`).
 */
export function displayRoute(r: RouteSpec): RouteSpec {
  const sh = r.shadow;
  return { ...r, shadow: { ...sh,
    ignore: sh.ignore.map(showBodyPath),
    unordered: sh.unordered.map((u) => ({ ...u, path: showBodyPath(u.path) })),
    overlap: sh.overlap.map((o) => ({ ...o, path: showBodyPath(o.path), ...(o.total ? { total: { ...o.total, path: showBodyPath(o.total.path) } } : {}) })),
  } };
}

/** Validates a route table document; lists every problem found. */
export function validateTable(doc: unknown): ValidationResult {
  const parsed = tableSchema.safeParse(doc);
  const errors = parsed.success ? [] : parsed.error.issues.map((i) => `${fmtPath(i.path)}: ${i.message}`);
  errors.push(...semanticErrors(doc));
  if (errors.length || !parsed.success) return { ok: false, errors };
  return { ok: true, table: parsed.data };
}

export class TableError extends Error {
  readonly errors: string[];
  constructor(errors: string[], prefix = 'invalid route table') {
    super(`${prefix}: ${errors.join('; ')}`);
    this.name = 'TableError';
    this.errors = errors;
  }
}

/** Parses JSON or YAML text (by file name or content) into a validated table. */
export function parseTableText(text: string, yamlParse?: (t: string) => unknown): ValidationResult {
  let doc: unknown;
  try {
    doc = yamlParse && !/^\s*[{[]/.test(text) ? yamlParse(text) : JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`(document): not valid ${yamlParse ? 'JSON/YAML' : 'JSON'}: ${(err as Error).message}`] };
  }
  return validateTable(doc);
}
