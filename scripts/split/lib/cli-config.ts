import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseConfig } from '../../../lib/config.ts';
import { DEFAULT_PROGRESS_INTERVAL_MS } from './progress.ts';

/** The demo's manifest, committed next to the tool in this repository (the npm package does not ship it). */
export const REPO_MANIFEST = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'manifest.json');
/** Installed from npm: `split-manifest.json` in the working directory (or --manifest / SPLIT_MANIFEST). */
export const DEFAULT_PACKAGE_MANIFEST = 'split-manifest.json';
export const DEFAULT_MANIFEST = existsSync(REPO_MANIFEST) ? REPO_MANIFEST : resolve(DEFAULT_PACKAGE_MANIFEST);

/** Environment of the CLI, validated once by the entry point. */
export const envSchema = z.object({
  SPLIT_MANIFEST: z.string().optional(),
  SPLIT_SOURCE_URL: z.string().optional(),
  MYSQL_URL: z.string().optional(),
  SPLIT_OWNERSHIP_URL: z.string().optional(),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  SPLIT_REDIS: z.enum(['on', 'off']).default('on'),
  OWNERSHIP_CHANNEL: z.string().optional(),
  SPLIT_ACTOR: z.string().optional(),
  USER: z.string().optional(),
  SPLIT_FAULT: z.string().optional(),
  SPLIT_FAIL: z.string().optional(),
  LOG_LEVEL: z.string().default('warn'),
  /** Output that is not a terminal gets a progress line this often (default DEFAULT_PROGRESS_INTERVAL_MS). */
  SPLIT_PROGRESS_INTERVAL_MS: z.coerce.number().int().min(100).default(DEFAULT_PROGRESS_INTERVAL_MS),
}).passthrough();

export type SplitEnv = z.output<typeof envSchema>;

export function readEnv(env: NodeJS.ProcessEnv): SplitEnv {
  return parseConfig(envSchema, env);
}

/** Per-service target override from the environment: SPLIT_TARGET_URL_PRODUCT etc. */
export function targetFromEnv(env: NodeJS.ProcessEnv, service: string): string | undefined {
  return env[`SPLIT_TARGET_URL_${service.toUpperCase()}`] || undefined;
}
