/**
 * The search service's legacy-compatible REST edge: GET /api/search answers
 * like the legacy user API (same parameters, `{ items, page }` shape, list
 * items from the legacy presenter, VALIDATION_FAILED details, 401 for a bad
 * bearer token, one `search` row in the event log). Differences, on purpose:
 * results are ranked by relevance (legacy: newest first, LIKE over names),
 * and optional `sort`, `shopId`, `categoryId`, `minPrice`, `maxPrice` work.
 * A backend that cannot answer gives 503 SERVICE_UNAVAILABLE with Retry-After.
 */
import { Router, type Express, type Response } from 'express';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { AppError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { page } from '../../lib/contract/paging.ts';
import { id, moneyQuery } from '../../lib/contract/schemas/common.ts';
import { parseInput } from '../../lib/contract/validate.ts';
import { searchQuery } from '../../lib/contract/schemas/user-api.ts';
import { createEdgeApp, optionalUser, optionalUserIdOf } from '../common/http-edge.ts';
import type { SessionVerifier } from '../../rpc/ports.ts';
import { BackendUnavailableError, SORTS, type SearchBackend, type SearchRequest } from './backends/types.ts';
import { listItem, MAX_WINDOW } from './logic.ts';

export const RETRY_AFTER_SECONDS = 5;

/** The legacy schema (q, page, size) plus the search service's optional sort and filters. */
export const searchParams = searchQuery.extend({
  sort: z.enum(SORTS).default('relevance'),
  shopId: id.optional(),
  categoryId: id.optional(),
  minPrice: moneyQuery.optional(),
  maxPrice: moneyQuery.optional(),
}).refine((v) => v.minPrice === undefined || v.maxPrice === undefined || Number(v.minPrice) <= Number(v.maxPrice),
  { message: 'must not exceed maxPrice', path: ['minPrice'] });

export type SearchParams = z.output<typeof searchParams>;

export function toSearchRequest(p: SearchParams): SearchRequest {
  const filters: SearchRequest['filters'] = {};
  if (p.shopId !== undefined) filters.shopId = p.shopId;
  if (p.categoryId !== undefined) filters.categoryId = p.categoryId;
  if (p.minPrice !== undefined) filters.minPrice = p.minPrice;
  if (p.maxPrice !== undefined) filters.maxPrice = p.maxPrice;
  return { q: p.q, filters, sort: p.sort, offset: (p.page - 1) * p.size, limit: p.size };
}

/** The legacy event log row for a search (legacy-owned `logs` table; see services/common/legacy-owned.ts). */
export interface SearchLog {
  write(e: { userId: number | null; query: string; total: number; page: number }): Promise<void>;
}

export interface SearchEdgeDeps {
  backend: SearchBackend;
  sessions: SessionVerifier;
  searchLog?: SearchLog;
  logger: Logger;
  registry?: Registry;
}

export function unavailable(err: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'Search is temporarily unavailable; try again shortly', { cause: err });
}

/** Runs a search page, mapping an unreachable backend to 503. Pages beyond MAX_WINDOW return no items but the real total. */
export async function searchPage(backend: SearchBackend, req: SearchRequest) {
  try {
    if (req.offset + req.limit > MAX_WINDOW) {
      const r = await backend.search({ ...req, offset: 0, limit: 0 });
      return { total: r.total, hits: [] };
    }
    return await backend.search(req);
  } catch (err) {
    if (err instanceof BackendUnavailableError || (err as { code?: string })?.code === 'SERVICE_UNAVAILABLE') throw unavailable(err);
    throw err;
  }
}

export function createSearchEdge(deps: SearchEdgeDeps): Express {
  const { backend, logger } = deps;
  const r = Router();

  async function log(res: Response, e: Parameters<SearchLog['write']>[0]): Promise<void> {
    if (!deps.searchLog) return;
    try {
      await deps.searchLog.write(e);
    } catch (err) {
      logger.warn({ err, requestId: res.locals.requestId }, 'could not write search log');
    }
  }

  r.get('/api/search', optionalUser(deps.sessions), async (req, res) => {
    const p = parseInput(searchParams, req.query, 'query');
    let result;
    try {
      result = await searchPage(backend, toSearchRequest(p));
    } catch (err) {
      if (err instanceof AppError && err.code === 'SERVICE_UNAVAILABLE') {
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
        logger.warn({ err, requestId: res.locals.requestId }, 'search backend unavailable');
      }
      throw err;
    }
    await log(res, { userId: optionalUserIdOf(res), query: p.q, total: result.total, page: p.page });
    res.json(page(result.hits.map((h) => listItem(h.doc)), p, result.total));
  });

  if (deps.registry) {
    const registry = deps.registry;
    r.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }

  return createEdgeApp({
    name: 'search',
    logger,
    router: r,
    health: async () => {
      try {
        await backend.ping();
        return { [backend.kind]: 'ok' };
      } catch {
        return { [backend.kind]: 'down' };
      }
    },
  });
}
