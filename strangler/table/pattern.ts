/**
 * Path patterns: static segments, `:param` segments and a trailing `*`
 * (rest of the path). Compiled once per table reload; matching is pure.
 * Static segments are normalised like request paths (normalize.ts: unreserved
 * escapes decoded, others upper-cased), so `/api/%69tems` and `/api/items` are one route.
 */
import { matchKey, normalisePathname } from './normalize.ts';

export interface PathPattern {
  source: string;
  /** True when the pattern has no params or wildcard (exact lookup). */
  isStatic: boolean;
  /** Normalised form used to detect duplicate routes (`/a/:/*`). */
  signature: string;
  /** Static segments count, for most-specific-first ordering. */
  staticSegments: number;
  segments: string[];
  wildcard: boolean;
  regex: RegExp | null;
  paramNames: string[];
}

const PARAM_RE = /^:[A-Za-z_][A-Za-z0-9_]*$/;
const STATIC_SEG_RE = /^[A-Za-z0-9\-._~!$&'()+,;=@%]+$/;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function parsePattern(source: string, opts: { caseSensitive?: boolean } = {}): { ok: true; pattern: PathPattern } | { ok: false; error: string } {
  if (!source.startsWith('/')) return { ok: false, error: 'must start with "/"' };
  if (source.length > 1024) return { ok: false, error: 'longer than 1024 characters' };
  const trimmed = source.length > 1 && source.endsWith('/') ? source.slice(0, -1) : source;
  const segments = trimmed === '/' ? [] : trimmed.slice(1).split('/');
  const paramNames: string[] = [];
  let wildcard = false;
  let staticSegments = 0;
  const sig: string[] = [];
  const re: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    let seg = segments[i];
    if (seg === '*') {
      if (i !== segments.length - 1) return { ok: false, error: '"*" is only allowed as the last segment' };
      wildcard = true;
      sig.push('*');
      re.push('(?:/.*)?');
      continue;
    }
    if (seg.startsWith(':')) {
      if (!PARAM_RE.test(seg)) return { ok: false, error: `bad parameter "${seg}"` };
      if (paramNames.includes(seg.slice(1))) return { ok: false, error: `parameter "${seg}" used twice` };
      paramNames.push(seg.slice(1));
      sig.push(':');
      re.push('/([^/]+)');
      continue;
    }
    if (seg === '' || !STATIC_SEG_RE.test(seg)) return { ok: false, error: `bad segment "${seg}"` };
    const norm = normalisePathname('/' + seg);
    if (norm.problem !== null) return { ok: false, error: `bad segment "${seg}" (${norm.problem})` };
    seg = norm.path.slice(1);
    segments[i] = seg;
    staticSegments++;
    sig.push(seg);
    re.push('/' + escapeRe(seg));
  }
  const isStatic = paramNames.length === 0 && !wildcard;
  return {
    ok: true,
    pattern: {
      source,
      isStatic,
      signature: '/' + sig.join('/'),
      staticSegments,
      segments,
      wildcard,
      paramNames,
      regex: isStatic ? null : new RegExp(`^${re.join('') || ''}/?$`, opts.caseSensitive ? '' : 'i'),
    },
  };
}

/** Strips one trailing slash (not from "/") so `/a/` and `/a` match the same route. */
export const normalisePath = matchKey;

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Returns params on match, null otherwise. `path` is already normalised. */
export function matchPattern(p: PathPattern, path: string): Record<string, string> | null {
  if (p.isStatic) return p.signature === path || (p.segments.length === 0 && path === '/') ? {} : null;
  const m = p.regex!.exec(path);
  if (!m) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.paramNames.length; i++) params[p.paramNames[i]] = safeDecode(m[i + 1]);
  return params;
}
