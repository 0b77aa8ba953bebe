import { DEFAULT_SCRYPT_COST } from './auth/password.ts';

export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 3600;
export const DEV_JWT_SECRET = 'taskboard-dev-secret-change-me';

export interface Config {
  databaseUrl: string;
  host: string;
  port: number;
  jwtSecret: string;
  tokenTtlSeconds: number;
  scryptCost: number;
  dbPoolMax: number;
}

/** Reads the environment; throws one message naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, dflt: number, min: number, max: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}`);
      return dflt;
    }
    return Number(v);
  };
  const databaseUrl = env.DATABASE_URL ?? '';
  if (!databaseUrl) problems.push('DATABASE_URL is required (mysql://user:pass@host:port/database)');
  const cost = int('SCRYPT_COST', DEFAULT_SCRYPT_COST, 1024, 1 << 20);
  if ((cost & (cost - 1)) !== 0) problems.push('SCRYPT_COST must be a power of two');
  const config: Config = {
    databaseUrl,
    host: env.HOST || DEFAULT_HOST,
    port: int('PORT', DEFAULT_PORT, 0, 65535),
    jwtSecret: env.JWT_SECRET || DEV_JWT_SECRET,
    tokenTtlSeconds: int('TOKEN_TTL_SECONDS', DEFAULT_TOKEN_TTL_SECONDS, 1, 365 * 24 * 3600),
    scryptCost: cost,
    dbPoolMax: int('DB_POOL_MAX', 10, 1, 1000),
  };
  if (problems.length) throw new Error(`taskboard: bad configuration: ${problems.join('; ')}`);
  return config;
}
