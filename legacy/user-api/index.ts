import { parseConfig } from '../../lib/config.ts';
import type { Logger } from '../../lib/logger.ts';
import { userApiConfigSchema } from '../http/config.ts';
import { runUntilSignal, startApi, type LegacyApiConfig, type RunningApi } from '../http/server.ts';
import type { AppDeps } from '../http/deps.ts';
import { createUserApp } from './app.ts';

export { createUserApp } from './app.ts';
export { userApiConfigSchema } from '../http/config.ts';

/** Starts the user API in this process (used by `npm start` and tests). */
export function startUserApi(config: LegacyApiConfig, opts: { logger?: Logger; knex?: AppDeps['knex']; clock?: AppDeps['clock'] } = {}): Promise<RunningApi> {
  return startApi('legacy-user-api', createUserApp, config, opts);
}

if (import.meta.main) {
  await runUntilSignal(() => startUserApi(parseConfig(userApiConfigSchema, process.env)));
}
