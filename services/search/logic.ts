/**
 * Pure search rules: query parsing into terms, the MariaDB BOOLEAN MODE
 * expressions built from them, request validation and the legacy-compatible
 * presentation of hits. No I/O here.
 */
import { AppError } from '../../lib/errors.ts';
import { CJK_PREFIX, cjkBigrams, normalizeText, splitRuns, wordToken } from './tokens.ts';
import { SORTS, type SearchDocument, type SearchFilters, type SearchRequest, type SearchSort } from './backends/types.ts';

export const MAX_QUERY_CHARS = 100;
export const MAX_TERMS = 8;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Deep paging is refused: offset + limit beyond this (ES's default max_result_window). */
export const MAX_WINDOW = 10_000;

export type QueryTerm =
  | { kind: 'cjk'; text: string; tokens: string[] }
  | { kind: 'word'; text: string; token: string };

/** Splits a user query into terms (CJK runs and Latin/digit words), de-duplicated, at most MAX_TERMS. */
export function parseQuery(q: string): QueryTerm[] {
  const seen = new Set<string>();
  const terms: QueryTerm[] = [];
  for (const run of splitRuns(q.slice(0, MAX_QUERY_CHARS))) {
    if (seen.has(run.kind + run.text)) continue;
    seen.add(run.kind + run.text);
    terms.push(run.kind === 'cjk' ? { kind: 'cjk', text: run.text, tokens: cjkBigrams(run.text) } : { kind: 'word', text: run.text, token: wordToken(run.text) });
    if (terms.length >= MAX_TERMS) break;
  }
  return terms;
}

/**
 * The filtering expression (every term required):
 *   CJK run of 2+ characters → its bigrams as a phrase (consecutive = substring match)
 *   single CJK character     → prefix over bigrams and unigrams (h_옷*)
 *   word                     → prefix (w_dress* also finds "dresses", as LIKE did)
 * Tokens contain only letters, digits and `_`, so no operator can be injected.
 */
export function booleanFilter(terms: QueryTerm[]): string {
  return terms.map((t) => {
    if (t.kind === 'word') return `+${t.token}*`;
    if (t.tokens.length === 1) return Array.from(t.text).length === 1 ? `+${CJK_PREFIX}${t.text}*` : `+${t.tokens[0]}`;
    return `+"${t.tokens.join(' ')}"`;
  }).join(' ');
}

/** The ranking expression: every token optional, so the score is the TF-IDF sum of what matched. */
export function rankExpression(terms: QueryTerm[]): string {
  return terms.flatMap((t) => (t.kind === 'word' ? [t.token, `${t.token}*`] : t.tokens)).join(' ');
}

export interface SearchParams {
  q?: unknown;
  page?: unknown;
  size?: unknown;
  sort?: unknown;
  categoryId?: unknown;
  shopId?: unknown;
  minPrice?: unknown;
  maxPrice?: unknown;
}

const INT_RE = /^\d{1,15}$/;
const PRICE_RE = /^\d{1,10}(\.\d{1,2})?$/;

function one(v: unknown): string | undefined {
  if (Array.isArray(v)) return one(v[0]);
  return typeof v === 'string' ? v : v === undefined ? undefined : String(v);
}

/**
 * Validates the query-string parameters of GET /api/search into a request.
 * Throws VALIDATION_FAILED (400) with one message per bad field.
 */
export function parseSearchParams(params: SearchParams): { request: SearchRequest; page: number; size: number } {
  const problems: string[] = [];
  const q = (one(params.q) ?? '').trim();
  if (!q) problems.push('q: is required');
  else if (q.length > MAX_QUERY_CHARS) problems.push(`q: at most ${MAX_QUERY_CHARS} characters`);
  else if (parseQuery(q).length === 0) problems.push('q: contains no searchable word');

  const intParam = (name: string, raw: string | undefined, def: number | undefined, min: number, max: number): number | undefined => {
    if (raw === undefined || raw === '') return def;
    if (!INT_RE.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name}: must be an integer between ${min} and ${max}`);
      return def;
    }
    return Number(raw);
  };
  const page = intParam('page', one(params.page), 1, 1, 1_000_000)!;
  const size = intParam('size', one(params.size), DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)!;
  if (page * size > MAX_WINDOW) problems.push(`page: page × size must not exceed ${MAX_WINDOW}`);

  const sortRaw = one(params.sort) ?? 'relevance';
  if (!(SORTS as readonly string[]).includes(sortRaw)) problems.push(`sort: must be one of ${SORTS.join(', ')}`);

  const filters: SearchFilters = {};
  const categoryId = intParam('categoryId', one(params.categoryId), undefined, 1, Number.MAX_SAFE_INTEGER);
  if (categoryId !== undefined) filters.categoryId = categoryId;
  const shopId = intParam('shopId', one(params.shopId), undefined, 1, Number.MAX_SAFE_INTEGER);
  if (shopId !== undefined) filters.shopId = shopId;
  for (const k of ['minPrice', 'maxPrice'] as const) {
    const raw = one(params[k]);
    if (raw === undefined || raw === '') continue;
    if (!PRICE_RE.test(raw)) problems.push(`${k}: must be a non-negative amount with at most 2 decimals`);
    else filters[k] = raw;
  }
  if (filters.minPrice && filters.maxPrice && Number(filters.minPrice) > Number(filters.maxPrice)) {
    problems.push('minPrice: must not exceed maxPrice');
  }
  if (problems.length) throw new AppError('VALIDATION_FAILED', problems.join('; '), { details: { problems } });
  return { request: { q, filters, sort: sortRaw as SearchSort, offset: (page - 1) * size, limit: size }, page, size };
}

/** Lower-cased, NFKC text for backends that match raw strings (ES keyword fields, tests). */
export function normalizedQuery(q: string): string {
  return normalizeText(q).trim();
}

/** DATETIME(6) string → ISO-8601 UTC with six fraction digits (the legacy contract's timestamp format). */
export function isoTimestamp(value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z?$/.exec(value);
  if (!m) throw new Error(`not a DATETIME: ${value}`);
  return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(6, '0')}Z`;
}

/** ISO-8601 (or DATETIME) → the DATETIME(6) form documents store. */
export function dbTimestamp(value: string): string {
  return isoTimestamp(value).replace('T', ' ').replace('Z', '');
}

/** The legacy list item (legacy/contract productListItem) built from an index document. */
export interface ListItemJson {
  id: number;
  name: string;
  price: string;
  salePrice: string | null;
  discountRate: string;
  currency: string;
  status: SearchDocument['status'];
  imageUrl: string | null;
  likeCount: number;
  categoryId: number | null;
  shop: { id: number; name: string };
  createdAt: string;
}

export function listItem(doc: SearchDocument): ListItemJson {
  return {
    id: doc.id,
    name: doc.name,
    price: doc.price,
    salePrice: doc.salePrice,
    discountRate: doc.discountRate,
    currency: doc.currency,
    status: doc.status,
    imageUrl: doc.imageUrl,
    likeCount: doc.likeCount,
    categoryId: doc.categoryId,
    shop: { id: doc.shopId, name: doc.shopName },
    createdAt: isoTimestamp(doc.createdAt),
  };
}

export function pageInfo(page: number, size: number, total: number) {
  return { page, size, total, hasNext: page * size < total };
}

/** Discount rate exactly as the legacy generated column computes it: ROUND((price - sale) * 100 / price, 2). */
export function discountRate(price: string, salePrice: string | null): string {
  if (salePrice === null) return '0.00';
  const p = toCents(price);
  if (p === 0n) return '0.00';
  const s = toCents(salePrice);
  // rate in hundredths of a percent, rounded half away from zero: (p - s) * 10000 / p
  const num = (p - s) * 10000n;
  const q = num / p;
  const r = num % p;
  const rounded = (r < 0n ? -r : r) * 2n >= p ? q + (num < 0n ? -1n : 1n) : q;
  const neg = rounded < 0n;
  const a = neg ? -rounded : rounded;
  return `${neg ? '-' : ''}${a / 100n}.${String(a % 100n).padStart(2, '0')}`;
}

function toCents(v: string): bigint {
  const [i, f = ''] = v.split('.');
  const neg = i.startsWith('-');
  const cents = BigInt(i.replace('-', '') || '0') * 100n + BigInt((f + '00').slice(0, 2));
  return neg ? -cents : cents;
}
