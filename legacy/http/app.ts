import type { Express, Router } from 'express';
import { createJsonApp } from '../../lib/json-app.ts';
import type { Logger } from '../../lib/logger.ts';

export { DEFAULT_JSON_LIMIT, requireJsonBodies } from '../../lib/json-app.ts';

export interface BaseAppOptions {
  name: string;
  logger: Logger;
  router: Router;
  /** Extra body limits for specific paths, applied before the default 1 MB parser (e.g. bulk upload 5 MB). */
  largeBodies?: { path: string; limit: string }[];
}

/** A legacy API: the shared JSON frame (lib/json-app.ts), access log at info, a plain liveness /health. */
export function createBaseApp(opts: BaseAppOptions): Express {
  return createJsonApp({
    ...opts, accessLog: 'info',
    health: (_req, res) => { res.json({ status: 'ok', service: opts.name }); },
  });
}
