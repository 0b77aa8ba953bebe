/**
 * Request-target and host normalisation (pure), shared by matching and forwarding so the
 * facade matches exactly what it sends on (docs/facade.md "Path matching"):
 * - a `#` anywhere in the target, a `\` in the path, a malformed `%` escape or a dot segment
 *   (`.`/`..`, also as `%2e`) make the target invalid (the facade answers 400);
 * - percent-escapes of unreserved characters (RFC 3986 §2.3: A-Z a-z 0-9 - . _ ~) are decoded,
 *   every other escape keeps its encoding with upper-case hex (`%2f` → `%2F`, never `/`);
 * - the query string is left byte for byte as it came.
 * Case and the trailing slash are matching rules, not rewrites: `matchKey` drops one
 * trailing slash, and the compiled table compares case-insensitively unless told otherwise.
 */

export type TargetProblem = 'not-absolute' | 'fragment' | 'backslash' | 'bad-percent' | 'dot-segment';

export interface NormalisedTarget {
  /** The normalised path (no query). */
  path: string;
  /** `?…` exactly as received, or ''. */
  query: string;
  /** path + query: what is forwarded (=== the input when nothing changed). */
  url: string;
  problem: TargetProblem | null;
}

export const TARGET_PROBLEM_MESSAGES: Record<TargetProblem, string> = {
  'not-absolute': 'The request target must be an absolute path',
  fragment: 'The request target must not contain "#"',
  backslash: 'The path must not contain "\\"',
  'bad-percent': 'The path has a malformed percent-escape',
  'dot-segment': 'The path must not contain dot segments',
};

const HEX = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function isUnreserved(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
}

/** True when a segment of `path` between [start, end) is `.` or `..`. */
function isDotSegment(path: string, start: number, end: number): boolean {
  const n = end - start;
  return (n === 1 && path.charCodeAt(start) === 46) || (n === 2 && path.charCodeAt(start) === 46 && path.charCodeAt(start + 1) === 46);
}

/**
 * Normalises a path (no query): decodes unreserved escapes, upper-cases the others.
 * A malformed escape is kept as it is and reported; so are a backslash and dot segments.
 */
export function normalisePathname(path: string): { path: string; problem: TargetProblem | null } {
  let problem: TargetProblem | null = null;
  let needsWork = false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 37 || c === 46) {
      needsWork = true;
      break;
    }
    if (c === 92) problem ??= 'backslash';
    else if (c === 35) problem ??= 'fragment';
  }
  if (!needsWork) return { path, problem };
  let out = '';
  let from = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 92) problem ??= 'backslash';
    else if (c === 35) problem ??= 'fragment';
    if (c !== 37) continue;
    const h = i + 2 < path.length ? hexVal(path.charCodeAt(i + 1)) : -1;
    const l = h === -1 ? -1 : hexVal(path.charCodeAt(i + 2));
    if (l === -1) {
      problem ??= 'bad-percent';
      continue;
    }
    const byte = h * 16 + l;
    const rep = isUnreserved(byte) ? String.fromCharCode(byte) : '%' + HEX[h] + HEX[l];
    if (rep !== path.slice(i, i + 3)) {
      out += path.slice(from, i) + rep;
      from = i + 3;
    }
    i += 2;
  }
  const result = from === 0 ? path : out + path.slice(from);
  if (problem === null) {
    let start = 1;
    for (let i = 1; i <= result.length; i++) {
      if (i === result.length || result.charCodeAt(i) === 47) {
        if (isDotSegment(result, start, i)) {
          problem = 'dot-segment';
          break;
        }
        start = i + 1;
      }
    }
  }
  return { path: result, problem };
}

/** Splits and normalises a request target (`/path?query`). */
export function normaliseTarget(url: string | undefined): NormalisedTarget {
  if (!url || url.charCodeAt(0) !== 47) return { path: url ?? '', query: '', url: url ?? '', problem: 'not-absolute' };
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  const p = normalisePathname(rawPath);
  const problem = p.problem ?? (query.indexOf('#') !== -1 ? 'fragment' : null);
  return { path: p.path, query, url: p.path === rawPath ? url : p.path + query, problem };
}

/** The form routes are looked up by: one trailing slash dropped (not from "/"), like Express's `strict: false`. */
export function matchKey(path: string): string {
  return path.length > 1 && path.charCodeAt(path.length - 1) === 47 ? path.slice(0, -1) : path;
}

/** ASCII lower case (paths are ASCII once escapes are kept; Express's case-insensitive routes use the regex `i` flag). */
export function foldCase(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return s.toLowerCase();
  }
  return s;
}

/**
 * A Host header (or a route's host) reduced to the name compared: lower case, without the port,
 * without a trailing dot (`Shop.Example.COM.:8080` → `shop.example.com`); IPv6 literals keep their brackets.
 */
export function normaliseHost(host: string | undefined): string {
  if (!host) return '';
  let h = foldCase(host.trim());
  if (h.charCodeAt(0) === 91) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const c = h.indexOf(':');
  if (c !== -1) h = h.slice(0, c);
  while (h.length > 1 && h.charCodeAt(h.length - 1) === 46) h = h.slice(0, -1);
  return h;
}
