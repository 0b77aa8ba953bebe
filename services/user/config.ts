import { z } from 'zod';
import { bool, DEFAULT_REDIS_URL, int } from '../../lib/config.ts';
import { DEFAULT_PREFIX } from '../../lib/events/queues.ts';
import { serviceConfigSchema, type ServiceConfig } from '../common/config.ts';
import { DEFAULT_LIKES_CLEANUP_CONCURRENCY } from './likes-cleanup.ts';

/**
 * user service config (env, parsed once by index.ts): USER_HTTP_PORT (default 4003),
 * USER_THRIFT_PORT (9003), MYSQL_URL (legacy DB), USER_DB_URL (own DB, default
 * mysql://root@127.0.0.1:3306/user_svc), USER_DB=legacy|own|registry (default registry:
 * lib/ownership decides, flips live), peers' Thrift endpoints as <PEER>_THRIFT=host:port,
 * REDIS_URL + OWNERSHIP_NOTIFY=redis|poll, CALL_TIMEOUT_MS, LOG_LEVEL. See docs/services.md.
 * The likes cleanup worker (likes-cleanup.ts): LIKES_CLEANUP_ENABLED (default true), on REDIS_URL
 * (whatever OWNERSHIP_NOTIFY says) with QUEUE_PREFIX (default 'zz', the relay's).
 */
export interface LikesCleanupConfig {
  redisUrl: string;
  queuePrefix: string;
  concurrency: number;
}

/** `likesCleanup` absent: no worker (tests and tools that start the service in-process). */
export type UserServiceConfig = ServiceConfig & { likesCleanup?: LikesCleanupConfig };

const cleanupEnv = z.object({
  // validated (with its message) by the shared schema; read here because that one drops it under OWNERSHIP_NOTIFY=poll
  REDIS_URL: z.string().optional(),
  QUEUE_PREFIX: z.string().min(1).max(40).default(DEFAULT_PREFIX),
  LIKES_CLEANUP_ENABLED: bool(true),
  LIKES_CLEANUP_CONCURRENCY: int(DEFAULT_LIKES_CLEANUP_CONCURRENCY, 1),
});

export const userConfigSchema = z.intersection(serviceConfigSchema('user', 4003, 9003, ['product', 'shop']), cleanupEnv)
  .transform(({ REDIS_URL, QUEUE_PREFIX, LIKES_CLEANUP_ENABLED, LIKES_CLEANUP_CONCURRENCY, ...service }): UserServiceConfig => ({
    ...service,
    ...(LIKES_CLEANUP_ENABLED ? { likesCleanup: { redisUrl: REDIS_URL || DEFAULT_REDIS_URL, queuePrefix: QUEUE_PREFIX, concurrency: LIKES_CLEANUP_CONCURRENCY } } : {}),
  }));
