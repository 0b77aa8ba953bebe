import { parseConfig } from '../../lib/config.ts';
import type { Logger } from '../../lib/logger.ts';
import { adminApiConfigSchema } from '../http/config.ts';
import { runUntilSignal, startApi, type LegacyApiConfig, type RunningApi } from '../http/server.ts';
import type { AppDeps } from '../http/deps.ts';
import { createAdminApp } from './app.ts';

export { createAdminApp } from './app.ts';
export { adminApiConfigSchema } from '../http/config.ts';

/** Starts the admin API in this process (used by `npm start` and tests). */
export function startAdminApi(config: LegacyApiConfig, opts: { logger?: Logger; knex?: AppDeps['knex']; clock?: AppDeps['clock'] } = {}): Promise<RunningApi> {
  return startApi('legacy-admin-api', createAdminApp, config, opts);
}

if (import.meta.main) {
  await runUntilSignal(() => startAdminApi(parseConfig(adminApiConfigSchema, process.env)));
}
