import { join } from 'node:path';
import { z } from 'zod';
import { DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL, bool, int, port, url } from '../../lib/config.ts';
import { DEFAULT_PREFIX } from '../../lib/events/queues.ts';
import { DEFAULT_INDEXER_CONCURRENCY } from './indexer.ts';

/**
 * Search service configuration (environment variables, validated once by the
 * entry point). The backend is SEARCH_BACKEND: `embedded` (the default: an
 * in-process index in a file under SEARCH_INDEX_DIR), `mysql` (FULLTEXT in
 * SEARCH_DB_URL) or `elasticsearch` (ELASTICSEARCH_URL; chosen by default when
 * that URL is set, as before SEARCH_BACKEND existed).
 */
export const DEFAULT_SEARCH_DB_URL = 'mysql://root@127.0.0.1:3306/search_svc';
export const DEFAULT_SEARCH_INDEX_DIR = '.data/search-index';
export const BACKENDS = ['embedded', 'mysql', 'elasticsearch'] as const;
export type BackendKind = (typeof BACKENDS)[number];
export const DEFAULT_ES_INDEX = 'products';

const hostPort = (def: string) => z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'must be host:port').default(def);

export const searchConfigSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  SEARCH_HTTP_PORT: port(4004),
  SEARCH_THRIFT_PORT: port(9004),
  SEARCH_DB_URL: url(DEFAULT_SEARCH_DB_URL),
  /** Create the search database and run migrations/search at start (the default; off where DDL is managed elsewhere). */
  SEARCH_DB_MIGRATE: bool(true),
  SEARCH_BACKEND: z.enum(BACKENDS).optional().or(z.literal('').transform(() => undefined)),
  /** The embedded index lives in <SEARCH_INDEX_DIR>/<database name of SEARCH_DB_URL>/ (one index per search database). */
  SEARCH_INDEX_DIR: z.string().min(1).default(DEFAULT_SEARCH_INDEX_DIR),
  ELASTICSEARCH_URL: z.string().url().optional().or(z.literal('').transform(() => undefined)),
  ELASTICSEARCH_INDEX: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,100}$/, 'must be a lower-case index/alias name').default(DEFAULT_ES_INDEX),
  /** Legacy database: the `logs` table (search log) and, with PRODUCT_SOURCE=db, the product tables. */
  MYSQL_URL: url(DEFAULT_MYSQL_URL),
  REDIS_URL: url(DEFAULT_REDIS_URL),
  QUEUE_PREFIX: z.string().min(1).max(40).default(DEFAULT_PREFIX),
  INDEXER_ENABLED: bool(true),
  INDEXER_CONCURRENCY: int(DEFAULT_INDEXER_CONCURRENCY, 1),
  /** Queue one full reindex at start when the index is empty (a fresh stack); npm start turns it on. */
  REINDEX_WHEN_EMPTY: bool(false),
  /** Where documents come from: the product service over Thrift, or the product tables directly (before the product service runs). */
  PRODUCT_SOURCE: z.enum(['thrift', 'db']).default('thrift'),
  PRODUCT_THRIFT: hostPort('127.0.0.1:9001'),
  USER_THRIFT: hostPort('127.0.0.1:9003'),
  CALL_TIMEOUT_MS: int(2000, 1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).superRefine((c, ctx) => {
  if (c.SEARCH_BACKEND === 'elasticsearch' && !c.ELASTICSEARCH_URL) {
    ctx.addIssue({ code: 'custom', path: ['ELASTICSEARCH_URL'], message: 'is required when SEARCH_BACKEND=elasticsearch' });
  }
});

export type SearchConfig = z.output<typeof searchConfigSchema>;

/** The backend a configuration selects: SEARCH_BACKEND, else Elasticsearch when its URL is set, else embedded. */
export function backendKind(c: Pick<SearchConfig, 'SEARCH_BACKEND' | 'ELASTICSEARCH_URL'>): BackendKind {
  return c.SEARCH_BACKEND ?? (c.ELASTICSEARCH_URL ? 'elasticsearch' : 'embedded');
}

/** The embedded index's directory: one per search database, so parallel stacks and tests never share a file. */
export function embeddedIndexDir(c: Pick<SearchConfig, 'SEARCH_INDEX_DIR' | 'SEARCH_DB_URL'>): string {
  const db = decodeURIComponent(new URL(c.SEARCH_DB_URL).pathname.replace(/^\//, '')) || 'search';
  return join(c.SEARCH_INDEX_DIR, db.replace(/[^A-Za-z0-9_.-]/g, '_'));
}
