/**
 * The migration control room, served next to the admin API (see docs/dashboard.md): sessions, the live sampler,
 * the split-state watch and the dashboard's routes, wired once per facade.
 */
import type { RequestHandler, Router } from 'express';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../../lib/logger.ts';
import type { RouteController } from '../controller.ts';
import type { FacadeMetrics } from '../metrics.ts';
import type { OwnershipWatch } from '../ownership-watch.ts';
import type { StatsStore } from '../stats.ts';
import { requireTokenOrSession } from './guard.ts';
import { dashboardRouter } from './routes.ts';
import { Sampler } from './sampler.ts';
import { Sessions } from './session.ts';
import { SplitWatch } from './splits.ts';

export interface Dashboard {
  router: Router;
  /** The admin API's auth: the token, or a dashboard session that passes the CSRF/origin rules. */
  auth: RequestHandler;
  sessions: Sessions;
  sampler: Sampler;
  splits?: SplitWatch;
  start(): void;
  close(): Promise<void>;
}

export interface DashboardOptions {
  controller: RouteController;
  stats: StatsStore;
  metrics: FacadeMetrics;
  token: string;
  logger: Logger;
  ownership?: OwnershipWatch;
  /** split-db state databases (STRANGLER_SPLIT_STATE_URLS), read-only; none: the data page says so. */
  splitStateDsns?: string[];
}

/** The dashboard's own counters: logins and refused (CSRF/origin) requests. */
export function registerDashboardMetrics(registry: Registry) {
  const registers = [registry];
  return {
    logins: new Counter({ name: 'strangler_dashboard_logins_total', help: 'Dashboard logins by result: ok, refused (wrong token)', labelNames: ['result'], registers }),
    refused: new Counter({ name: 'strangler_dashboard_refused_total', help: 'Dashboard requests refused by the CSRF/origin rules, by kind: cross-site, origin, csrf', labelNames: ['kind'], registers }),
  };
}

export function createDashboard(o: DashboardOptions): Dashboard {
  const { logins, refused } = registerDashboardMetrics(o.metrics.registry);
  const log = o.logger.child({ component: 'dashboard' });
  const sessions = new Sessions();
  const sampler = new Sampler({
    metrics: o.metrics, stats: o.stats,
    routes: () => o.controller.table.routes.map((r) => ({ id: r.id, legacy: r.legacy, service: r.service })),
  });
  const splits = o.splitStateDsns?.length ? new SplitWatch({ dsns: o.splitStateDsns, logger: o.logger, registry: o.metrics.registry }) : undefined;
  const onRefused = (r: { kind: 'cross-site' | 'origin' | 'csrf'; message: string }) => {
    refused.labels(r.kind).inc();
    log.warn({ kind: r.kind, reason: r.message }, 'dashboard request refused');
  };
  const auth = requireTokenOrSession(o.token, sessions, onRefused);
  const router = dashboardRouter({
    controller: o.controller, stats: o.stats, sampler, splits, ownership: o.ownership, sessions, token: o.token, logger: o.logger,
    onLogin: (result) => logins.labels(result).inc(), onRefused,
  }, auth);
  return {
    router, auth, sessions, sampler, splits,
    start() {
      splits?.start();
    },
    async close() {
      sampler.stop();
      await splits?.close();
    },
  };
}
