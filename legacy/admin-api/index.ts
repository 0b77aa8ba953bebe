import { parseConfig } from '../../lib/config.ts';
import { adminApiConfigSchema } from '../http/config.ts';
import { runUntilSignal, startApi, type ApiStartOptions, type LegacyApiConfig, type RunningApi } from '../http/server.ts';
import { seamConfigSchema } from '../seam/index.ts';
import { createAdminApp } from './app.ts';

export { createAdminApp } from './app.ts';
export { adminApiConfigSchema } from '../http/config.ts';

/** Starts the admin API in this process (used by `npm start` and tests). */
export function startAdminApi(config: LegacyApiConfig, opts: ApiStartOptions = {}): Promise<RunningApi> {
  return startApi('legacy-admin-api', createAdminApp, config, opts);
}

if (import.meta.main) {
  await runUntilSignal(() => startAdminApi(parseConfig(adminApiConfigSchema, process.env), { seam: parseConfig(seamConfigSchema, process.env) }));
}
