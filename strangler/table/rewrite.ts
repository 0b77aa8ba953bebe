/**
 * Per-route path rewriting for the service side (Envoy's prefix_rewrite, Skipper's modPath, Kong's strip_path):
 * `{ prefix, to }` replaces a leading path prefix, `{ pattern, to }` a regular expression match (`$1` … for groups).
 * Applied to the path sent to the route's service (primary, canary, shadow copy); legacy always receives the
 * original path. The query string is kept as it is. Pure: compiled once per table reload.
 */
import { foldCase } from './normalize.ts';

export type RewriteSpec = { prefix: string; to: string } | { pattern: string; to: string };

/** A rewritten path that is not one of these (no leading slash, control characters, spaces) is refused at validation. */
const TO_RE = /^\/[^\s\x00-\x1f\x7f?#]*$/;
export const MAX_REWRITE_LENGTH = 1024;

/** Why a rewrite cannot be used on a route with this path pattern, or null. */
export function rewriteError(spec: RewriteSpec, routePath: string, caseSensitive: boolean): { field: string; message: string } | null {
  if (!TO_RE.test(spec.to.replace(/\$\d+/g, 'x'))) return { field: 'to', message: 'must be a path starting with "/" (no query, fragment or spaces)' };
  if ('prefix' in spec) {
    if (!/^\/[^\s?#]*$/.test(spec.prefix)) return { field: 'prefix', message: 'must be a path starting with "/"' };
    const prefix = spec.prefix.length > 1 ? spec.prefix.replace(/\/+$/, '') : spec.prefix;
    const want = prefix === '/' ? [] : prefix.slice(1).split('/');
    const have = routePath === '/' ? [] : routePath.replace(/\/+$/, '').slice(1).split('/');
    const same = (a: string, b: string) => (caseSensitive ? a === b : foldCase(a) === foldCase(b));
    const ok = want.length <= have.length && want.every((seg, i) => !have[i].startsWith(':') && have[i] !== '*' && same(seg, have[i]));
    if (!ok) return { field: 'prefix', message: `"${spec.prefix}" must be a leading part of the route's path "${routePath}" (whole static segments)` };
    return null;
  }
  if (spec.pattern.length > MAX_REWRITE_LENGTH) return { field: 'pattern', message: `longer than ${MAX_REWRITE_LENGTH} characters` };
  try {
    new RegExp(spec.pattern);
  } catch (err) {
    return { field: 'pattern', message: `not a valid regular expression: ${(err as Error).message}` };
  }
  return null;
}

/** Returns the function that rewrites a request target (path + query) for the service side. */
export function compileRewrite(spec: RewriteSpec, caseSensitive: boolean): (url: string) => string {
  const split = (url: string) => {
    const q = url.indexOf('?');
    return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q)];
  };
  if ('prefix' in spec) {
    const prefix = spec.prefix.length > 1 ? spec.prefix.replace(/\/+$/, '') : spec.prefix;
    const cmp = caseSensitive ? prefix : foldCase(prefix);
    const to = spec.to.length > 1 ? spec.to.replace(/\/+$/, '') : spec.to;
    return (url) => {
      const [path, query] = split(url);
      const head = caseSensitive ? path.slice(0, cmp.length) : foldCase(path.slice(0, cmp.length));
      if (head !== cmp) return url;
      const rest = prefix === '/' ? path : path.slice(prefix.length);
      if (rest !== '' && !rest.startsWith('/')) return url; // "/api/itemsX" does not start with the prefix "/api/items"
      const joined = to === '/' ? (rest === '' ? '/' : rest) : to + rest;
      return joined + query;
    };
  }
  const re = new RegExp(spec.pattern, caseSensitive ? '' : 'i');
  return (url) => {
    const [path, query] = split(url);
    if (!re.test(path)) return url;
    const out = path.replace(re, spec.to);
    return (out.startsWith('/') ? out : '/' + out) + query;
  };
}
