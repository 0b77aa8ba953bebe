/**
 * Korean-aware tokenisation for the MySQL/MariaDB FULLTEXT backend (pure).
 *
 * MariaDB has no ngram parser and its InnoDB FULLTEXT index drops tokens
 * shorter than `innodb_ft_min_token_size` (3 by default, a server variable we
 * cannot change) and words on the built-in stopword list. So we generate the
 * tokens ourselves and store them, space separated, in a column with a
 * FULLTEXT index; every token carries a two-character script prefix, which
 * keeps every token at >= 3 characters and never equal to a stopword:
 *
 *   h_XY  CJK (Hangul, Han, kana) character bigram, in text order, including a
 *         bigram across a space between two CJK runs ("롱 원피스" also yields
 *         "롱원", so a query typed without the space still matches)
 *   h_X   a CJK run of a single character ("옷")
 *   w_abc a Latin/digit word, lower-cased, NFKC-normalised (full-width folded)
 *
 * `_` is a word character for InnoDB's tokenizer, so each token stays whole.
 */

export const CJK_PREFIX = 'h_';
export const WORD_PREFIX = 'w_';
/** innodb_ft_max_token_size defaults to 84 characters; longer tokens are cut. */
export const MAX_TOKEN_CHARS = 80;

const CJK_RE = /[\u1100-\u11FF\u3040-\u30FF\u3130-\u318F\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7A3\uF900-\uFAFF]/u;
const WORD_CHAR_RE = /[\p{L}\p{N}]/u;

/** The kind of one character (same answer as the regular expressions, with an ASCII fast path: tokenising is the rebuild's hot loop). */
function charKind(ch: string): RunKind | null {
  const c = ch.charCodeAt(0);
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) ? 'word' : null;
  if (c >= 0xac00 && c <= 0xd7a3) return 'cjk'; // Hangul syllables, the common case
  return CJK_RE.test(ch) ? 'cjk' : WORD_CHAR_RE.test(ch) ? 'word' : null;
}

export type RunKind = 'cjk' | 'word';
export interface Run {
  kind: RunKind;
  text: string;
  /** True when only spaces (no other punctuation) separate this run from the previous one of the same kind. */
  spaceJoined: boolean;
}

export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/** Splits normalised text into CJK runs and Latin/digit word runs; everything else separates. */
export function splitRuns(input: string): Run[] {
  const text = normalizeText(input);
  const runs: Run[] = [];
  let cur: Run | null = null;
  // Characters seen since the last run ended: none, only whitespace, or other separators.
  let gap: 'none' | 'space' | 'other' = 'none';
  for (const ch of text) {
    const kind = charKind(ch);
    if (kind === null) {
      if (cur) {
        runs.push(cur);
        cur = null;
        gap = 'none';
      }
      if (gap !== 'other') gap = /\s/u.test(ch) ? 'space' : 'other';
      continue;
    }
    if (cur && cur.kind === kind) {
      cur.text += ch;
      continue;
    }
    if (cur) {
      runs.push(cur);
      gap = 'none';
    }
    const prev = runs[runs.length - 1];
    cur = { kind, text: ch, spaceJoined: !!prev && prev.kind === kind && gap === 'space' };
    gap = 'none';
  }
  if (cur) runs.push(cur);
  return runs;
}

function chars(s: string): string[] {
  return Array.from(s);
}

export function cjkBigrams(run: string): string[] {
  const c = chars(run);
  if (c.length === 1) return [CJK_PREFIX + c[0]];
  const out: string[] = [];
  for (let i = 0; i + 1 < c.length; i++) out.push(CJK_PREFIX + c[i] + c[i + 1]);
  return out;
}

export function wordToken(word: string): string {
  return WORD_PREFIX + chars(word).slice(0, MAX_TOKEN_CHARS).join('');
}

/**
 * The tokens a document field is indexed with, in text order.
 */
export function documentTokens(text: string | null | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  let prev: Run | null = null;
  for (const run of splitRuns(text)) {
    if (run.kind === 'cjk') {
      if (prev && prev.kind === 'cjk' && run.spaceJoined) {
        out.push(CJK_PREFIX + chars(prev.text).at(-1)! + chars(run.text)[0]);
      }
      out.push(...cjkBigrams(run.text));
    } else {
      out.push(wordToken(run.text));
    }
    prev = run;
  }
  return out;
}

export function tokenString(...fields: Array<string | null | undefined>): string {
  return fields.flatMap((f) => documentTokens(f)).join(' ');
}
