/**
 * The admin API (own port, token-protected): routes with live stats, route
 * changes and rollback, diffs, noise, audit, status, Prometheus metrics.
 * `GET /health` is open and says only whether the process serves.
 */
import express, { type Express, type Request } from 'express';
import { z } from 'zod';
import type { RouteController } from '../controller.ts';
import type { FacadeMetrics } from '../metrics.ts';
import type { StatsStore } from '../stats.ts';
import { MODES, showBodyPath, type RouteSpec } from '../table/schema.ts';
import { AppError } from '../../lib/errors.ts';
import { maskSecretsInText } from '../../lib/mask.ts';
import { errorHandler, notFound, requestId } from '../../lib/http.ts';
import type { Logger } from '../../lib/logger.ts';
import { requireToken } from './auth.ts';
import { applyTable, deleteRoute, deleteUpstream, putRoute, putUpstream, setModes } from './edits.ts';
import type { TableDiff } from '../table/diff.ts';
import type { OwnershipView } from '../ownership-watch.ts';
import type { Dashboard } from '../dashboard/index.ts';

/** Request body limit of the admin API; `POST /apply` (a whole table) takes DEFAULT_APPLY_BODY_LIMIT. */
export const DEFAULT_ADMIN_BODY_LIMIT = '64kb';
export const DEFAULT_APPLY_BODY_LIMIT = '4mb';

export interface AdminDeps {
  controller: RouteController;
  stats: StatsStore;
  metrics: FacadeMetrics;
  token: string;
  logger: Logger;
  now: () => number;
  startedAt: number;
  /** The ownership registry view (STRANGLER_OWNERSHIP_URL); unset: not watched. */
  ownership?: OwnershipView;
  /** The control room (strangler/dashboard): its page and, as the API's auth, token or dashboard session. */
  dashboard?: Dashboard;
}

const changeSchema = z.strictObject({
  mode: z.enum(MODES),
  percent: z.number().min(0).max(100).optional(),
  reason: z.string().max(500).optional(),
});
const modesSchema = z.strictObject({
  tag: z.string().min(1).optional(),
  prefix: z.string().min(1).optional(),
  mode: z.enum(MODES),
  percent: z.number().min(0).max(100).optional(),
  reason: z.string().max(500).optional(),
}).refine((b) => (b.tag === undefined) !== (b.prefix === undefined), 'give exactly one of tag or prefix');
const reasonSchema = z.string().max(500).optional();
const rollbackSchema = z.strictObject({ reason: z.string().max(500).optional() }).default({});
const ACTOR_RE = /^[\w.@:-]{1,64}$/;

function actor(req: Request): string {
  const a = req.headers['x-strangler-actor'];
  return typeof a === 'string' && ACTOR_RE.test(a) ? a : 'admin-api';
}

/** Why (for the audit log) on write endpoints whose body is the item itself: `x-strangler-reason` header or `?reason=`. */
function reasonOf(req: Request): string | undefined {
  const h = req.headers['x-strangler-reason'];
  let r: string | undefined;
  try {
    r = typeof h === 'string' ? decodeURIComponent(h) : typeof req.query.reason === 'string' ? req.query.reason : undefined;
  } catch {
    throw new AppError('VALIDATION_FAILED', 'x-strangler-reason: must be URI-encoded text');
  }
  if (!reasonSchema.safeParse(r).success) throw new AppError('VALIDATION_FAILED', 'reason: at most 500 characters');
  return r;
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body ?? {});
  if (!r.success) {
    const details = r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    throw new AppError('VALIDATION_FAILED', details.join('; '), { details });
  }
  return r.data;
}

function limitParam(v: unknown, def: number, max: number): number {
  const n = Number(v ?? def);
  return Number.isInteger(n) && n > 0 ? Math.min(n, max) : def;
}

export function createAdminApp(deps: AdminDeps): Express {
  const { controller, stats } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId());
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  if (deps.dashboard) app.use(deps.dashboard.router);
  app.use(deps.dashboard?.auth ?? requireToken(deps.token));
  const smallJson = express.json({ limit: DEFAULT_ADMIN_BODY_LIMIT });
  const bigJson = express.json({ limit: DEFAULT_APPLY_BODY_LIMIT });
  app.use((req, res, next) => (req.path === '/apply' ? bigJson : smallJson)(req, res, next));

  /** A route's domain, its split state and whether GET fallback to legacy is live (null: the route names no domain). */
  const ownershipOf = (r: RouteSpec) => {
    if (r.domain === undefined) return null;
    const d = deps.ownership?.describe(r);
    if (d === undefined || d === null) return { domain: r.domain, watched: false, database: 'not-watched', owner: 'not-watched', version: null, legacyReadsThroughSeam: r.legacyReadsThroughSeam === true, legacyCurrent: true, fallbackLive: r.fallback };
    return { watched: true, ...d };
  };
  const view = (r: RouteSpec) => {
    const s = stats.peek(r.id);
    if (s?.breaker) s.breaker.current(deps.now());
    return {
      id: r.id, methods: r.methods, path: r.path, host: r.host ?? null, mode: r.mode, percent: r.percent,
      legacy: r.legacy, service: r.service ?? null, fallback: r.fallback, tags: r.tags ?? [], rewrite: r.rewrite ?? null,
      domain: r.domain ?? null, legacyReadsThroughSeam: r.legacyReadsThroughSeam === true, ownership: ownershipOf(r),
      shadow: { sample: r.shadow.sample, writes: r.shadow.writes, noiseSample: r.shadow.noiseSample },
      /** The comparison options in force, paths in the reports' syntax (body.<path>). */
      compare: {
        ignore: r.shadow.ignore.map(showBodyPath),
        unordered: r.shadow.unordered.map((u) => ({ path: showBodyPath(u.path), ...(u.key ? { key: u.key } : {}) })),
        headers: r.shadow.headers,
        overlap: r.shadow.overlap.map((o) => ({ path: showBodyPath(o.path), key: o.key, measure: o.measure, min: o.min })),
        ignoreUse: s ? s.ignoreReport() : { compared: 0, paths: [], unused: [] },
      },
      stats: s ? s.summary() : null,
    };
  };
  /** Traffic the fallback rules sent to legacy (routes' own fallbacks are in each route's stats). */
  const fallbackRules = () => controller.table.fallbacks.map((f) => {
    const id = 'fallback:' + (f.host ?? '') + (f.prefix ?? '');
    return { id, upstream: f.upstream, requests: stats.peek(id)?.requests ?? 0 };
  });
  /** Requests a route's service failed that legacy answered instead, by reason, summed over routes. */
  const fallbackTotals = () => {
    const byReason: Record<string, number> = {};
    const refused: Record<string, number> = {};
    let total = 0;
    for (const r of controller.table.routes) {
      const st = stats.peek(r.id);
      if (!st) continue;
      total += st.fallbacks;
      for (const [k, n] of Object.entries(st.fallbackReasons)) byReason[k] = (byReason[k] ?? 0) + n;
      for (const [k, n] of Object.entries(st.fallbacksRefused)) refused[k] = (refused[k] ?? 0) + n;
    }
    return { total, byReason, refused, rules: fallbackRules() };
  };
  const route = (id: string) => {
    const r = controller.table.routes.find((x) => x.id === id);
    if (!r) throw new AppError('NOT_FOUND', `no route with id "${id}"`);
    return r;
  };

  app.get('/status', (_req, res) => {
    const t = controller.table;
    const byMode: Record<string, number> = Object.fromEntries(MODES.map((m) => [m, 0]));
    for (const r of t.routes) byMode[r.mode]++;
    const openBreakers = t.routes.filter((r) => stats.peek(r.id)?.breaker?.current(deps.now()) === 'open').map((r) => r.id);
    res.json({
      status: 'ok', version: t.version, loadedAt: controller.loadedAt, uptimeSeconds: Math.round((deps.now() - deps.startedAt) / 1000),
      source: controller.sourceStatus(), lastRejection: controller.lastRejection,
      routes: t.routes.length, byMode, openBreakers, upstreams: Object.keys(t.upstreams), fallbacks: fallbackTotals(), advice: controller.advice,
      ownership: {
        watched: deps.ownership !== undefined,
        routes: t.routes.filter((r) => r.domain !== undefined).map((r) => ({ id: r.id, ...ownershipOf(r)! })),
      },
    });
  });
  app.get('/routes', (_req, res) => {
    res.json({ version: controller.table.version, routes: controller.table.routes.map(view), fallbackRules: fallbackRules() });
  });
  app.get('/routes/:id', (req, res) => {
    res.json(view(route(req.params.id)));
  });
  // a change answered with the advice on the table it left in force (a shadow pool short of its routes' copies, …)
  const warnings = (): { warnings?: string[] } => (controller.advice.length ? { warnings: controller.advice } : {});
  const change = async (req: Request, res: express.Response) => {
    route(req.params.id as string);
    const body = parseBody(changeSchema, req.body);
    const updated = await controller.change(req.params.id as string, { ...body, who: actor(req) });
    res.json({ ...view(updated), ...warnings() });
  };
  app.post('/routes/:id', change);
  app.patch('/routes/:id', change);
  app.put('/routes/:id', async (req, res) => {
    const id = req.params.id;
    const result = await controller.edit(actor(req), reasonOf(req), putRoute(id, req.body), { op: 'route-put' });
    res.status(result.edits[0].before === null ? 201 : 200).json({ version: result.version, route: view(route(id)), change: result.edits[0], ...warnings() });
  });
  app.delete('/routes/:id', async (req, res) => {
    const result = await controller.edit(actor(req), reasonOf(req), deleteRoute(req.params.id), { op: 'route-delete' });
    res.json({ version: result.version, change: result.edits[0] });
  });
  app.get('/upstreams', (_req, res) => {
    res.json({ version: controller.table.version, upstreams: controller.table.upstreams });
  });
  app.put('/upstreams/:name', async (req, res) => {
    const result = await controller.edit(actor(req), reasonOf(req), putUpstream(req.params.name, req.body), { op: 'upstream-put' });
    res.status(result.edits[0].before === null ? 201 : 200).json({ version: result.version, change: result.edits[0], ...warnings() });
  });
  app.delete('/upstreams/:name', async (req, res) => {
    const result = await controller.edit(actor(req), reasonOf(req), deleteUpstream(req.params.name), { op: 'upstream-delete' });
    res.json({ version: result.version, change: result.edits[0] });
  });
  app.post('/modes', async (req, res) => {
    const body = parseBody(modesSchema, req.body);
    const result = await controller.edit(actor(req), body.reason, setModes({ tag: body.tag, prefix: body.prefix }, body.mode, body.percent), { op: 'modes' });
    res.json({ version: result.version, changed: result.edits.map((e) => ({ id: e.target, from: e.from, to: e.to })), ...warnings() });
  });
  app.post('/apply', async (req, res) => {
    const dryRun = req.query.dryRun === 'true' || req.query.dryRun === '1';
    const out: { diff?: TableDiff } = {};
    const result = await controller.edit(actor(req), reasonOf(req), applyTable(req.body, out), { dryRun, op: 'apply' });
    res.json({ dryRun, applied: result.written, version: result.version, diff: out.diff, ...(dryRun ? {} : warnings()) });
  });
  app.post('/routes/:id/stats/reset', async (req, res) => {
    const r = route(req.params.id);
    const body = parseBody(rollbackSchema, req.body);
    await controller.resetStats(r.id, actor(req), body.reason);
    res.json(view(r));
  });
  app.post('/routes/:id/rollback', async (req, res) => {
    route(req.params.id);
    const body = parseBody(rollbackSchema, req.body);
    const updated = await controller.rollback(req.params.id, actor(req), body.reason);
    res.json(view(updated));
  });
  app.get('/routes/:id/diffs', (req, res) => {
    const r = route(req.params.id);
    const s = stats.get(r.id);
    const limit = limitParam(req.query.limit, 20, 10_000);
    const kind = req.query.kind === 'noise' ? 'noise' : 'service';
    res.json({
      route: r.id, kind, counts: { ...s.shadow }, noise: { matched: s.noise.matched, mismatched: s.noise.mismatched },
      diffs: (kind === 'noise' ? s.noiseDiffs : s.diffs).list(limit),
      ...(r.shadow.overlap.length ? { overlap: s.overlap.report(limit) } : {}),
    });
  });
  app.get('/routes/:id/noise', (req, res) => {
    res.json(stats.get(route(req.params.id).id).noiseReport());
  });
  app.get('/noise', (_req, res) => {
    res.json({ routes: controller.table.routes.filter((r) => r.service).map((r) => stats.get(r.id).noiseReport()) });
  });
  app.get('/audit', async (req, res) => {
    const limit = limitParam(req.query.limit, 50, 10_000);
    const routeId = typeof req.query.route === 'string' ? req.query.route : undefined;
    let entries: Awaited<ReturnType<typeof controller.auditLog.list>>;
    try {
      entries = await controller.auditLog.list(limit, routeId);
    } catch (err) {
      // the audit store (Redis for a Redis source) is down: unavailable, not an internal error
      throw new AppError('AUDIT_UNAVAILABLE', `the audit log could not be read: ${maskSecretsInText((err as Error).message ?? String(err))}`, { status: 503 });
    }
    res.json({ entries });
  });
  app.get('/metrics', async (_req, res) => {
    controller.refreshGauges(deps.now());
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.registry.metrics());
  });
  app.use(notFound());
  app.use(errorHandler(deps.logger));
  return app;
}
