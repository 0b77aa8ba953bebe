import { parseConfig } from '../../lib/config.ts';
import { merchantApiConfigSchema } from '../http/config.ts';
import { runUntilSignal, startApi, type ApiStartOptions, type LegacyApiConfig, type RunningApi } from '../http/server.ts';
import { seamConfigSchema } from '../seam/index.ts';
import { createMerchantApp } from './app.ts';

export { createMerchantApp } from './app.ts';
export { merchantApiConfigSchema } from '../http/config.ts';

/** Starts the merchant API in this process (used by `npm start` and tests). */
export function startMerchantApi(config: LegacyApiConfig, opts: ApiStartOptions = {}): Promise<RunningApi> {
  return startApi('legacy-merchant-api', createMerchantApp, config, opts);
}

if (import.meta.main) {
  await runUntilSignal(() => startMerchantApi(parseConfig(merchantApiConfigSchema, process.env), { seam: parseConfig(seamConfigSchema, process.env) }));
}
