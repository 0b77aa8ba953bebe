/**
 * Pure comparison of two HTTP answers (legacy vs service) for the parity
 * suite: status, the headers clients rely on, and the JSON body, with a short
 * declared list of ignored fields.
 */
export interface Answer {
  status: number;
  headers: Record<string, string | undefined>;
  body: unknown;
}

export interface Difference {
  path: string;
  legacy: unknown;
  service: unknown;
}

/**
 * An ignored field: a dotted path pattern (`*` one segment, `**` any depth)
 * and why. `generatedOnly` ignores the field only when BOTH values are
 * timestamps produced during the run (>= runStart): seeded timestamps are
 * still compared exactly.
 */
export interface IgnoreRule {
  path: string;
  why: string;
  generatedOnly?: boolean;
}

/** The declared list: everything else must be byte-equal after JSON parsing. */
export const IGNORED_FIELDS: IgnoreRule[] = [
  { path: 'token', why: 'random session token (each side issues its own)' },
  { path: '**.createdAt', why: 'set by the database clock when a row is written during the run', generatedOnly: true },
  { path: '**.updatedAt', why: 'set by the database clock when a row is written during the run', generatedOnly: true },
  { path: '**.likedAt', why: 'set by the database clock when a like is written during the run', generatedOnly: true },
  { path: '**.bookmarkedAt', why: 'set by the database clock when a bookmark is written during the run', generatedOnly: true },
];

/** Response headers compared (the ones clients rely on). */
export const COMPARED_HEADERS = ['content-type', 'x-request-id', 'location', 'cache-control'];

function segmentsMatch(pattern: string[], path: string[]): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [head, ...rest] = pattern;
  if (head === '**') {
    for (let i = 0; i <= path.length; i++) if (segmentsMatch(rest, path.slice(i))) return true;
    return false;
  }
  if (path.length === 0) return false;
  return (head === '*' || head === path[0]) && segmentsMatch(rest, path.slice(1));
}

export function pathMatches(pattern: string, path: string): boolean {
  return segmentsMatch(pattern.split('.'), path === '' ? [] : path.split('.'));
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function generated(v: unknown, runStart: number): boolean {
  return typeof v === 'string' && ISO_RE.test(v) && Date.parse(v) >= runStart - 1000;
}

export function isIgnored(path: string, a: unknown, b: unknown, rules: IgnoreRule[], runStart: number): boolean {
  return rules.some((r) => pathMatches(r.path, path) && (!r.generatedOnly || (generated(a, runStart) && generated(b, runStart))));
}

export function diffJson(a: unknown, b: unknown, opts: { rules?: IgnoreRule[]; runStart?: number } = {}, path = ''): Difference[] {
  const rules = opts.rules ?? IGNORED_FIELDS;
  const runStart = opts.runStart ?? 0;
  if (path !== '' && isIgnored(path, a, b, rules, runStart)) return [];
  const join = (k: string | number) => (path === '' ? String(k) : `${path}.${k}`);
  if (Array.isArray(a) && Array.isArray(b)) {
    const out: Difference[] = [];
    if (a.length !== b.length) out.push({ path: join('length'), legacy: a.length, service: b.length });
    for (let i = 0; i < Math.min(a.length, b.length); i++) out.push(...diffJson(a[i], b[i], opts, join(i)));
    return out;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Difference[] = [];
    const ka = Object.keys(a as object);
    const kb = Object.keys(b as object);
    // Key order is part of byte-compatibility: compare it too.
    if (ka.join(',') !== kb.join(',') && ka.length === kb.length && ka.every((k) => kb.includes(k))) {
      out.push({ path: join('(key order)'), legacy: ka, service: kb });
    }
    for (const k of new Set([...ka, ...kb])) {
      const inA = Object.hasOwn(a as object, k);
      const inB = Object.hasOwn(b as object, k);
      if (!inA || !inB) {
        if (!isIgnored(join(k), undefined, undefined, rules, runStart)) {
          out.push({ path: join(k), legacy: inA ? (a as Record<string, unknown>)[k] : '(absent)', service: inB ? (b as Record<string, unknown>)[k] : '(absent)' });
        }
        continue;
      }
      out.push(...diffJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], opts, join(k)));
    }
    return out;
  }
  return Object.is(a, b) ? [] : [{ path: path || '(root)', legacy: a, service: b }];
}

/** Status, compared headers and body; an empty list means parity. */
export function diffAnswers(legacy: Answer, service: Answer, opts: { rules?: IgnoreRule[]; runStart?: number; headers?: string[] } = {}): Difference[] {
  const out: Difference[] = [];
  if (legacy.status !== service.status) out.push({ path: '(status)', legacy: legacy.status, service: service.status });
  for (const h of opts.headers ?? COMPARED_HEADERS) {
    const a = normaliseHeader(h, legacy.headers[h]);
    const b = normaliseHeader(h, service.headers[h]);
    if (a !== b) out.push({ path: `(header ${h})`, legacy: a, service: b });
  }
  out.push(...diffJson(legacy.body, service.body, opts).map((d) => ({ ...d, path: `body.${d.path}` })));
  return out;
}

/** content-type compared case-insensitively without spacing differences. */
function normaliseHeader(name: string, v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  return name === 'content-type' ? v.toLowerCase().replace(/\s+/g, '') : v;
}
