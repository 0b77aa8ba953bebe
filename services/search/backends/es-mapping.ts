/**
 * Elasticsearch index definition (pure). Korean analysis:
 * - with the analysis-nori plugin: nori_tokenizer (decompound mixed) +
 *   nori_part_of_speech (drop particles/endings) + lowercase + cjk_width;
 * - without it (the fallback): standard tokenizer + cjk_width + lowercase +
 *   cjk_bigram (Hangul/Han/kana runs become overlapping bigrams, other words
 *   stay whole) — the same idea as the MySQL backend's token design.
 * Either way a `name.prefix` edge-ngram sub-field gives as-you-type prefixes.
 */

export type KoreanAnalysis = 'nori' | 'cjk_bigram';

export function indexSettings(analysis: KoreanAnalysis) {
  const korean = analysis === 'nori'
    ? { type: 'custom', tokenizer: 'ko_nori', filter: ['ko_pos', 'cjk_width', 'lowercase'] }
    : { type: 'custom', tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'cjk_bigram'] };
  return {
    number_of_shards: 1,
    refresh_interval: '1s',
    analysis: {
      // "롱 원피스" and "롱원피스" must meet: a sub-field indexes names with the spaces between Hangul removed
      char_filter: {
        hangul_join: { type: 'pattern_replace', pattern: '(?<=[\\uAC00-\\uD7A3])\\s+(?=[\\uAC00-\\uD7A3])', replacement: '' },
      },
      ...(analysis === 'nori' ? {
        tokenizer: { ko_nori: { type: 'nori_tokenizer', decompound_mode: 'mixed' } },
      } : {}),
      filter: {
        ...(analysis === 'nori' ? { ko_pos: { type: 'nori_part_of_speech', stoptags: ['E', 'J', 'SC', 'SE', 'SF', 'SP', 'SSC', 'SSO', 'VCP', 'XSA', 'XSN', 'XSV'] } } : {}),
        prefix_ngram: { type: 'edge_ngram', min_gram: 1, max_gram: 15 },
      },
      analyzer: {
        korean,
        korean_joined: { type: 'custom', char_filter: ['hangul_join'], tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'cjk_bigram'] },
        korean_prefix: { type: 'custom', tokenizer: 'standard', filter: ['cjk_width', 'lowercase', 'prefix_ngram'] },
        korean_prefix_search: { type: 'custom', tokenizer: 'standard', filter: ['cjk_width', 'lowercase'] },
      },
    },
  };
}

const text = { type: 'text', analyzer: 'korean' };
const stored = (type: string) => ({ type, index: false, doc_values: false });

export const INDEX_MAPPINGS = {
  dynamic: 'strict',
  properties: {
    id: { type: 'long' },
    version: { type: 'long' },
    deleted: { type: 'boolean' },
    shopId: { type: 'long' },
    shopName: { ...text, fields: { keyword: { type: 'keyword' } } },
    categoryId: { type: 'integer' },
    categoryName: text,
    name: {
      ...text,
      fields: {
        prefix: { type: 'text', analyzer: 'korean_prefix', search_analyzer: 'korean_prefix_search' },
        joined: { type: 'text', analyzer: 'korean_joined' },
      },
    },
    description: text,
    keywords: text,
    price: stored('keyword'),
    salePrice: stored('keyword'),
    effectivePrice: { type: 'scaled_float', scaling_factor: 100 },
    discountRate: stored('keyword'),
    currency: { type: 'keyword' },
    status: { type: 'keyword' },
    imageUrl: stored('keyword'),
    likeCount: { type: 'long' },
    popularityScore: { type: 'double' },
    // 'YYYY-MM-DD HH:MM:SS.ffffff' sorts correctly as a keyword and keeps the microseconds a date would round
    createdAt: { type: 'keyword' },
  },
} as const;

/** The field boosts of a relevance query (name matches weigh most, as in the MySQL backend). */
export const SEARCH_FIELDS = ['name^3', 'name.prefix', 'shopName', 'categoryName', 'keywords', 'description'];

/**
 * The query part of a search: every term must match somewhere (cross_fields,
 * AND), or the whole query must match the space-joined name.
 */
export function textQuery(q: string) {
  return {
    bool: {
      should: [
        { multi_match: { query: q, type: 'cross_fields', operator: 'and', fields: SEARCH_FIELDS } },
        { match: { 'name.joined': { query: q, operator: 'and', boost: 2 } } },
      ],
      minimum_should_match: 1,
    },
  };
}
