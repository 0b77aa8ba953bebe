/**
 * Pure search rules: query parsing into terms, the MariaDB BOOLEAN MODE
 * expressions built from them, and the legacy-compatible presentation of
 * hits. No I/O here.
 */
import { productListItem, type ProductListItemJson } from '../../lib/contract/product.ts';
import { CJK_PREFIX, cjkBigrams, splitRuns, wordToken } from './tokens.ts';
import type { SearchDocument } from './backends/types.ts';

export const MAX_QUERY_CHARS = 100;
export const MAX_TERMS = 8;
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
 *   CJK run of 2+ characters → each of its bigrams required (+h_원피 +h_피스)
 *   single CJK character     → prefix over bigrams and unigrams (h_옷*)
 *   word                     → prefix (w_dress* also finds "dresses", as LIKE did)
 * Bigrams are required individually rather than as a phrase: InnoDB phrase
 * matching reads positions and was ~5x slower on the benchmark catalogue,
 * and documents store each token once (see documentToRow), so adjacency is
 * not kept. Tokens contain only letters, digits and `_`, so no operator can
 * be injected.
 */
export function booleanFilter(terms: QueryTerm[]): string {
  return terms.map((t) => {
    if (t.kind === 'word') return `+${t.token}*`;
    if (t.tokens.length === 1) return Array.from(t.text).length === 1 ? `+${CJK_PREFIX}${t.text}*` : `+${t.tokens[0]}`;
    return t.tokens.map((x) => `+${x}`).join(' ');
  }).join(' ');
}

/** The ranking expression: every token optional, so the score is the TF-IDF sum of what matched. */
export function rankExpression(terms: QueryTerm[]): string {
  return terms.flatMap((t) => (t.kind === 'word' ? [t.token, `${t.token}*`] : t.tokens)).join(' ');
}

/** A hit as the legacy list item (lib/contract productListItem, so the shape is the legacy one by construction). */
export function listItem(doc: SearchDocument): ProductListItemJson {
  return productListItem({
    id: doc.id, shop_id: doc.shopId, shop_name: doc.shopName, category_id: doc.categoryId, name: doc.name, price: doc.price,
    sale_price: doc.salePrice, discount_rate: doc.discountRate, currency: doc.currency, status: doc.status, like_count: doc.likeCount,
    image_url: doc.imageUrl, created_at: doc.createdAt,
  });
}
