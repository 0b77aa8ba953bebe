/**
 * BullMQ plumbing shared by producers (the outbox relay) and consumers (the
 * search indexer, periodic jobs): queue names, the event payload and its
 * validation, Redis connections and default job options.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { z } from 'zod';
import type { JobsOptions } from 'bullmq';

export const PRODUCT_EVENTS_QUEUE = 'product-events';
export const SEARCH_DEAD_LETTER_QUEUE = 'search-index-dead';
/**
 * The user service's copy of product deletions (same message as PRODUCT_EVENTS_QUEUE, kind 'deleted' only): it
 * deletes the likes of deleted products, which an FK cascade did while products and likes shared a database.
 */
export const USER_PRODUCT_DELETIONS_QUEUE = 'user-product-deletions';
export const DEFAULT_PREFIX = 'zz';

/** The message on PRODUCT_EVENTS_QUEUE. It names a product version; consumers fetch the product itself. */
export const productChangedSchema = z.object({
  eventId: z.number().int().positive(),
  productId: z.number().int().positive(),
  version: z.number().int().min(0),
  kind: z.string().min(1).max(20),
  /** When the change committed (epoch ms): update-to-searchable latency starts here. */
  changedAt: z.number().int().positive(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
export type ProductChangedEvent = z.infer<typeof productChangedSchema>;

/** Deterministic job id per outbox row: a re-publish after a relay crash is deduplicated by BullMQ. */
export function productEventJobId(eventId: number): string {
  return `evt-${eventId}`;
}

export interface EventJobDefaults {
  attempts: number;
  backoffMs: number;
  keepCompleted: number;
}

export const DEFAULT_EVENT_JOB: EventJobDefaults = { attempts: 8, backoffMs: 1000, keepCompleted: 10_000 };

/**
 * Event kinds that refresh derived values only (`stats`: the ranking job's
 * popularity scores) wait behind edits. BullMQ serves jobs without a priority
 * before prioritized ones, so giving these a priority keeps a merchant's edit
 * searchable in milliseconds even while a daily ranking run has queued
 * hundreds of thousands of score refreshes (measured: ~605 k at seed scale
 * 500, ~17 min of indexing). The indexer fetches the product itself and
 * guards by version, so the order between a product's events never changes
 * what ends up in the index.
 */
export const BACKGROUND_EVENT_KINDS: ReadonlySet<string> = new Set(['stats']);
export const BACKGROUND_EVENT_PRIORITY = 1000;

/** The job options of one event: the defaults, its deterministic job id, and a priority for background kinds. */
export function eventJobOptionsFor(event: { eventId: number; kind: string }, d: EventJobDefaults = DEFAULT_EVENT_JOB): JobsOptions {
  return {
    ...eventJobOptions(d), jobId: productEventJobId(event.eventId),
    ...(BACKGROUND_EVENT_KINDS.has(event.kind) ? { priority: BACKGROUND_EVENT_PRIORITY } : {}),
  };
}

export function eventJobOptions(d: EventJobDefaults = DEFAULT_EVENT_JOB): JobsOptions {
  return {
    attempts: d.attempts,
    backoff: { type: 'exponential', delay: d.backoffMs },
    // completed jobs are kept a while so a duplicate publish (same job id) is a no-op
    removeOnComplete: { count: d.keepCompleted },
    // failed jobs stay (they are also copied to the dead-letter queue)
    removeOnFail: false,
  };
}

/**
 * A Redis connection for BullMQ. Workers need maxRetriesPerRequest: null
 * (blocking commands wait through reconnects); producers should fail fast
 * while Redis is down (enableOfflineQueue: false) so the outbox keeps the row.
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    lazyConnect: false,
    ...extra,
  });
}
