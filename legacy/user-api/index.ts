import { parseConfig } from '../../lib/config.ts';
import { userApiConfigSchema } from '../http/config.ts';
import { runUntilSignal, startApi, type ApiStartOptions, type LegacyApiConfig, type RunningApi } from '../http/server.ts';
import { seamConfigSchema } from '../seam/index.ts';
import { createUserApp } from './app.ts';

export { createUserApp } from './app.ts';
export { userApiConfigSchema } from '../http/config.ts';

/** Starts the user API in this process (used by `npm start` and tests). */
export function startUserApi(config: LegacyApiConfig, opts: ApiStartOptions = {}): Promise<RunningApi> {
  return startApi('legacy-user-api', createUserApp, config, opts);
}

if (import.meta.main) {
  await runUntilSignal(() => startUserApi(parseConfig(userApiConfigSchema, process.env), { seam: parseConfig(seamConfigSchema, process.env) }));
}
