/**
 * Comparing a legacy answer with a service answer (pure). Status, chosen
 * headers and bodies are compared; JSON bodies are normalised first: declared
 * ignore paths are dropped and declared arrays are sorted (by a key field or by
 * their canonical JSON), so ordering and volatile fields are not reported.
 * Paths are dot-separated with `*` for any key or index: `items.*.updatedAt`.
 * Lists declared under `overlap` are compared as sets of keys with a declared
 * tolerance instead (overlap.ts), and their figures are returned.
 */
import { compareOverlap, type OverlapFigure } from './overlap.ts';
import type { OverlapSpec } from './table/schema.ts';

export interface CapturedResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The body was cut at the capture limit. */
  truncated: boolean;
}

export interface CompareSpec {
  ignore: string[];
  unordered: { path: string; key?: string }[];
  headers: string[];
  overlap?: OverlapSpec[];
}

export interface CompareResult {
  match: boolean;
  /**
   * Differing paths: `status`, `header:<name>`, `body`, `body.<json path>`, and for overlap lists
   * `overlap:body.<path>` (score below min) and `total:body.<path>` (count outside its tolerance). At most MAX_DIFFS.
   */
  differences: string[];
  /** One figure per declared overlap list both answers carried (absent when the route declares none). */
  overlap?: OverlapFigure[];
}

/** Filled by compareResponses when given: whether the bodies were parsed, and per `spec.ignore` entry whether it removed something. */
export interface IgnoreUse {
  parsed: boolean;
  hits: boolean[];
}

export const MAX_DIFFS = 20;

function splitPath(p: string): string[] {
  const s = p.startsWith('$.') ? p.slice(2) : p === '$' ? '' : p;
  return s === '' ? [] : s.split('.');
}

/** Removes what `parts` names; returns how many values were removed (0: the path matched nothing). */
function dropPath(node: unknown, parts: string[], i: number): number {
  if (node === null || typeof node !== 'object' || i >= parts.length) return 0;
  const last = i === parts.length - 1;
  const part = parts[i];
  let n = 0;
  if (Array.isArray(node)) {
    const idxs = part === '*' ? node.map((_, k) => k) : /^\d+$/.test(part) ? [Number(part)] : [];
    if (last) {
      for (const k of idxs.sort((a, b) => b - a)) {
        if (k < node.length) {
          node.splice(k, 1);
          n++;
        }
      }
    } else for (const k of idxs) n += dropPath(node[k], parts, i + 1);
    return n;
  }
  const obj = node as Record<string, unknown>;
  const keys = part === '*' ? Object.keys(obj) : [part];
  for (const k of keys) {
    if (!Object.hasOwn(obj, k)) continue;
    if (last) {
      delete obj[k];
      n++;
    } else n += dropPath(obj[k], parts, i + 1);
  }
  return n;
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  const o = v as Record<string, unknown>;
  return '{' + Object.keys(o).sort().map((k) => JSON.stringify(k) + ':' + canonical(o[k])).join(',') + '}';
}

function sortAt(node: unknown, parts: string[], i: number, key: string | undefined): void {
  if (node === null || typeof node !== 'object') return;
  if (i === parts.length) {
    if (!Array.isArray(node)) return;
    const sortKey = (e: unknown) => key !== undefined && e !== null && typeof e === 'object' ? canonical((e as Record<string, unknown>)[key]) : canonical(e);
    const decorated = node.map((e) => [sortKey(e), e] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let k = 0; k < node.length; k++) node[k] = decorated[k][1];
    return;
  }
  const part = parts[i];
  const children = Array.isArray(node)
    ? part === '*' ? node : /^\d+$/.test(part) ? [node[Number(part)]] : []
    : part === '*' ? Object.values(node as Record<string, unknown>) : [(node as Record<string, unknown>)[part]];
  for (const c of children) sortAt(c, parts, i + 1, key);
}

/**
 * Returns a normalised deep copy (or normalises `value` itself with `inPlace`, for freshly parsed values).
 * `hits[i]` is set when `spec.ignore[i]` removed something (to report ignore paths that never match).
 */
export function normaliseJson(value: unknown, spec: Pick<CompareSpec, 'ignore' | 'unordered'>, inPlace = false, hits?: boolean[]): unknown {
  const copy = inPlace || value === undefined ? value : structuredClone(value);
  for (let i = 0; i < spec.ignore.length; i++) {
    const parts = splitPath(spec.ignore[i]);
    if (parts.length && dropPath(copy, parts, 0) > 0 && hits) hits[i] = true;
  }
  for (const u of spec.unordered) sortAt(copy, splitPath(u.path), 0, u.key);
  return copy;
}

/** Lists differing paths between two JSON values (bounded). */
export function diffJson(a: unknown, b: unknown, path: string, out: string[]): void {
  if (out.length >= MAX_DIFFS) return;
  if (a === b) return;
  const ta = a === null ? 'null' : Array.isArray(a) ? 'array' : typeof a;
  const tb = b === null ? 'null' : Array.isArray(b) ? 'array' : typeof b;
  if (ta !== tb || (ta !== 'object' && ta !== 'array')) {
    out.push(path);
    return;
  }
  if (ta === 'array') {
    const aa = a as unknown[];
    const bb = b as unknown[];
    if (aa.length !== bb.length) {
      out.push(`${path}.length`);
      return;
    }
    for (let i = 0; i < aa.length && out.length < MAX_DIFFS; i++) diffJson(aa[i], bb[i], `${path}.${i}`, out);
    return;
  }
  const oa = a as Record<string, unknown>;
  const ob = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(oa), ...Object.keys(ob)]);
  for (const k of [...keys].sort()) {
    if (out.length >= MAX_DIFFS) return;
    if (!(k in oa) || !(k in ob)) out.push(`${path}.${k}`);
    else diffJson(oa[k], ob[k], `${path}.${k}`, out);
  }
}

function headerValue(v: string | string[] | undefined): string {
  if (v === undefined) return '';
  const s = Array.isArray(v) ? v.join(', ') : v;
  return s.toLowerCase().replace(/\s+/g, '');
}

function isJson(headers: CapturedResponse['headers']): boolean {
  const ct = headers['content-type'];
  return typeof ct === 'string' && /[/+]json\b/i.test(ct);
}

function parseJson(buf: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(buf.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** Normalised JSON documents compared: overlap lists first (removed from both), then the rest path by path. */
function compareJson(a: unknown, b: unknown, spec: CompareSpec, differences: string[], hits: boolean[]): OverlapFigure[] | undefined {
  const na = normaliseJson(a, spec, true, hits);
  const nb = normaliseJson(b, spec, true, hits);
  let figures: OverlapFigure[] | undefined;
  if (spec.overlap?.length) {
    figures = [];
    const found = new Set<string>();
    for (const o of spec.overlap) {
      const f = compareOverlap(o, na, nb, found, diffJson);
      if (f) figures.push(f);
    }
    differences.push(...found);
  }
  diffJson(na, nb, 'body', differences);
  return figures;
}

/** The result of every comparison without a difference or overlap figure: one frozen object, not one per comparison. */
const MATCHED: CompareResult = Object.freeze({ match: true, differences: Object.freeze([]) as unknown as string[] });

export function compareResponses(a: CapturedResponse, b: CapturedResponse, spec: CompareSpec, use?: IgnoreUse): CompareResult {
  const differences: string[] = [];
  let overlap: OverlapFigure[] | undefined;
  let hits: boolean[] | undefined;
  if (a.status !== b.status) differences.push('status');
  for (const h of spec.headers) {
    const va = a.headers[h];
    const vb = b.headers[h];
    if (va !== vb && headerValue(va) !== headerValue(vb)) differences.push(`header:${h}`);
  }
  const sameBytes = a.body.equals(b.body);
  const overlapDeclared = spec.overlap !== undefined && spec.overlap.length > 0;
  if (sameBytes && !overlapDeclared) {
    // identical bytes: nothing to normalise (the common case once a service is right)
  } else {
    const json = isJson(a.headers) && isJson(b.headers);
    if (sameBytes && !(json && !a.truncated)) {
      // identical bytes; overlap routes still parse JSON for their figures
    } else if (a.truncated || b.truncated) {
      differences.push('body');
    } else if (json) {
      const ja = parseJson(a.body);
      const jb = parseJson(sameBytes ? a.body : b.body);
      if (ja.ok && jb.ok) {
        hits = spec.ignore.map(() => false);
        overlap = compareJson(ja.value, jb.value, spec, differences, hits);
      }
      else if (!sameBytes) differences.push('body');
    } else if (!sameBytes) differences.push('body');
  }
  if (use && hits) {
    use.parsed = true;
    use.hits = hits;
  }
  if (differences.length === 0 && overlap === undefined) return MATCHED;
  const result: CompareResult = { match: differences.length === 0, differences: differences.length > MAX_DIFFS ? differences.slice(0, MAX_DIFFS) : differences };
  if (overlap) result.overlap = overlap;
  return result;
}
