/**
 * The dashboard's HTTP surface on the admin port: the page and its bundled assets (open: they hold no data and no
 * secret), login/logout, and the read endpoints that need live figures the admin API does not keep (overview,
 * latency series, data page). Actions are not here: the page calls the admin API's own endpoints
 * (POST /routes/:id, POST /routes/:id/rollback) with its session, the same audited calls the CLI makes.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type RequestHandler, type Router } from 'express';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import type { RouteController } from '../controller.ts';
import type { OwnershipWatch } from '../ownership-watch.ts';
import type { StatsStore } from '../stats.ts';
import { tokenMatches } from '../admin/auth.ts';
import { timeline } from './data-model.ts';
import { originRefusal, requestFacts, sessionOf, type Refusal } from './guard.ts';
import { setPageHeaders } from './headers.ts';
import { buildOverview, totals, type RouteLive } from './overview-model.ts';
import type { Sampler } from './sampler.ts';
import { ACTOR_NAME_RE, sessionCookie, type Sessions } from './session.ts';
import type { SplitWatch } from './splits.ts';

export const DIST_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web', 'dist');
const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strangler control room</title>
<link rel="stylesheet" href="/dashboard/assets/app.css">
</head>
<body>
<div id="app"><p>Loading the control room…</p><noscript>The control room needs JavaScript.</noscript></div>
<script type="module" src="/dashboard/assets/app.js"></script>
</body>
</html>
`;

export interface DashboardRouteDeps {
  controller: RouteController;
  stats: StatsStore;
  sampler: Sampler;
  splits?: SplitWatch;
  ownership?: OwnershipWatch;
  sessions: Sessions;
  token: string;
  logger: Logger;
  onLogin: (result: 'ok' | 'refused') => void;
  onRefused: (r: Refusal) => void;
}

const loginSchema = z.strictObject({ token: z.string().min(1).max(1000), name: z.string().regex(ACTOR_NAME_RE, 'letters, digits, . _ @ - (at most 48)').optional() });

/** Routes mounted before the admin API's auth; `auth` guards the read endpoints (token or session). */
export function dashboardRouter(deps: DashboardRouteDeps, auth: RequestHandler): Router {
  const r = express.Router();
  const log = deps.logger.child({ component: 'dashboard' });
  const page: RequestHandler = (_req, res) => {
    setPageHeaders(res);
    res.type('html').send(PAGE);
  };
  r.get('/', (_req, res) => res.redirect(302, '/dashboard/'));
  r.get(['/dashboard/', '/dashboard/route/:id', '/dashboard/data', '/dashboard/login'], page);
  r.get('/dashboard/assets/:file', async (req, res, next) => {
    const type = ASSETS[req.params.file];
    if (type === undefined) return next(new AppError('NOT_FOUND', `no asset ${req.params.file}`));
    let body: Buffer;
    try {
      body = await readFile(join(DIST_DIR, req.params.file));
    } catch {
      log.warn({ file: req.params.file }, 'dashboard bundle missing; run npm run dashboard:build');
      return next(new AppError('NOT_FOUND', 'the dashboard bundle is missing (npm run dashboard:build)'));
    }
    setPageHeaders(res);
    res.setHeader('cache-control', 'no-cache');
    res.type(type).send(body);
  });

  const json = express.json({ limit: '4kb' });
  r.post('/dashboard/login', json, (req, res, next) => {
    // login CSRF: a page elsewhere must not log a browser into this dashboard either
    const o = originRefusal(requestFacts(req), true);
    if (o !== null) {
      deps.onRefused(o);
      return next(new AppError('FORBIDDEN', o.message));
    }
    const body = loginSchema.safeParse(req.body ?? {});
    if (!body.success) return next(new AppError('VALIDATION_FAILED', body.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')));
    if (!tokenMatches(deps.token, body.data.token)) {
      deps.onLogin('refused');
      log.warn({ ip: req.socket.remoteAddress }, 'dashboard login refused: wrong admin token');
      return next(new AppError('UNAUTHENTICATED', 'That is not the admin token'));
    }
    const s = deps.sessions.create(body.data.name ?? 'operator');
    deps.onLogin('ok');
    log.info({ actor: s.actor }, 'dashboard login');
    res.setHeader('set-cookie', sessionCookie(s.id, Math.floor(deps.sessions.ttlMs / 1000), req.secure));
    res.json({ actor: s.actor, csrf: s.csrf });
  });
  r.post('/dashboard/logout', (req, res) => {
    const s = sessionOf(req, deps.sessions);
    deps.sessions.destroy(s?.id);
    res.setHeader('set-cookie', sessionCookie('', 0, req.secure));
    res.json({ ok: true });
  });

  r.get('/dashboard/api/session', (req, res, next) => {
    const s = sessionOf(req, deps.sessions);
    if (s === undefined) return next(new AppError('UNAUTHENTICATED', 'Not logged in'));
    res.setHeader('cache-control', 'no-store');
    res.json({ actor: s.actor, csrf: s.csrf });
  });
  // the live figures are sampled only while someone (logged in) reads them (sampler.ts)
  const live: RequestHandler = (_req, _res, next) => {
    deps.sampler.watched();
    next();
  };
  r.get('/dashboard/api/overview', auth, live, (_req, res) => {
    const t = deps.controller.table;
    const live: RouteLive[] = t.routes.map((route) => {
      const s = deps.stats.peek(route.id);
      return {
        id: route.id, methods: route.methods, path: route.path, mode: route.mode, percent: route.percent,
        legacy: route.legacy, service: route.service ?? null, breaker: s?.breaker?.current(Date.now()) ?? null,
        legacySide: deps.sampler.figures(route.id, route.legacy),
        // in shadow the service answers copies only: its side shows those answers (serviceShadow)
        serviceSide: deps.sampler.figures(route.id, route.service, undefined, route.mode === 'shadow'),
        serviceShadow: route.mode === 'shadow',
        shadow: { matched: s?.shadow.matched ?? 0, mismatched: s?.shadow.mismatched ?? 0 },
        noise: { matched: s?.noise.matched ?? 0, mismatched: s?.noise.mismatched ?? 0 },
      };
    });
    const groups = buildOverview(live);
    res.json({ version: t.version, at: new Date().toISOString(), totals: totals(groups), groups });
  });
  r.get('/dashboard/api/routes/:id/series', auth, live, (req, res, next) => {
    const route = deps.controller.table.routes.find((x) => x.id === req.params.id);
    if (!route) return next(new AppError('NOT_FOUND', `no route with id "${req.params.id}"`));
    const shadow = deps.sampler.shadowSamples(route.id);
    res.json({
      route: route.id,
      latency: deps.sampler.latencySeries({ id: route.id, legacy: route.legacy, service: route.service }, route.mode === 'shadow'),
      serviceShadow: route.mode === 'shadow',
      shadow: {
        t: shadow.map((s) => Math.round(s.t / 1000)),
        matchRate: shadow.map((s) => (s.matched + s.mismatched ? s.matched / (s.matched + s.mismatched) : null)),
        noiseRate: shadow.map((s) => (s.noiseMatched + s.noiseMismatched ? s.noiseMismatched / (s.noiseMatched + s.noiseMismatched) : null)),
      },
    });
  });
  r.get('/dashboard/api/data', auth, async (_req, res) => {
    let audit: Awaited<ReturnType<RouteController['auditLog']['list']>> = [];
    let auditError: string | null = null;
    try {
      audit = await deps.controller.auditLog.list(200);
    } catch (err) {
      auditError = 'the audit log could not be read';
      log.warn({ err: { message: String((err as Error).message).slice(0, 200) } }, 'dashboard: audit log unreadable');
    }
    const splits = deps.splits;
    res.json({
      splitsConfigured: splits !== undefined,
      sources: splits?.sourceStatus() ?? [],
      splits: splits?.views() ?? [],
      ownership: deps.ownership ? { watched: true, records: deps.ownership.records() } : { watched: false, records: [] },
      timeline: timeline(audit, splits?.states() ?? []),
      auditError,
    });
  });
  return r;
}
