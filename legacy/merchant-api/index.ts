import { parseConfig } from '../../lib/config.ts';
import type { Logger } from '../../lib/logger.ts';
import { merchantApiConfigSchema } from '../http/config.ts';
import { runUntilSignal, startApi, type LegacyApiConfig, type RunningApi } from '../http/server.ts';
import type { AppDeps } from '../http/deps.ts';
import { createMerchantApp } from './app.ts';

export { createMerchantApp } from './app.ts';
export { merchantApiConfigSchema } from '../http/config.ts';

/** Starts the merchant API in this process (used by `npm start` and tests). */
export function startMerchantApi(config: LegacyApiConfig, opts: { logger?: Logger; knex?: AppDeps['knex']; clock?: AppDeps['clock'] } = {}): Promise<RunningApi> {
  return startApi('legacy-merchant-api', createMerchantApp, config, opts);
}

if (import.meta.main) {
  await runUntilSignal(() => startMerchantApi(parseConfig(merchantApiConfigSchema, process.env)));
}
