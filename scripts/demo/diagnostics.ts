/**
 * What the demo reads back to judge itself, beyond what its clients saw (pure):
 * server-side errors from its processes' log (pino JSON lines), the shadow
 * counts broken down so they add up, each shadow mismatch explained, and a
 * diff shown as JSON that is shortened by value, never cut mid-token.
 */

export interface ServerErrorGroup {
  /** The process component that logged it (legacy-user-api, facade, …) or the logger's name. */
  component: string;
  message: string;
  /** The error's message (first line), when the line carried `err`. */
  error: string;
  count: number;
  first: string;
}

const ERROR_LEVEL = 50;

/**
 * The part of an error message that says what went wrong, on one line: knex puts the whole (multi-line) SQL first,
 * `<sql> - <server's message>`, so the first line alone is only SQL. `update shops … - split-db: writes to shops are
 * fenced` → `split-db: writes to shops are fenced (in: update shops …)`.
 */
export function errorCore(message: string): string {
  const flat = message.replace(/\s+/g, ' ').trim();
  const m = /^((?:select|insert|update|delete|replace|with|create|alter|drop|rename|show|set)\b.*?) - (\S.*)$/is.exec(flat);
  if (!m) return message.split('\n')[0];
  const sql = m[1].length > 60 ? `${m[1].slice(0, 60)}…` : m[1];
  return `${m[2]} (in: ${sql})`;
}

/** Lines at level error or fatal, grouped by component, message and error message; most frequent first. */
export function serverErrors(logText: string): ServerErrorGroup[] {
  const groups = new Map<string, ServerErrorGroup>();
  for (const line of logText.split('\n')) {
    if (!line.startsWith('{')) continue;
    let o: { level?: unknown; msg?: unknown; component?: unknown; name?: unknown; err?: { message?: unknown }; time?: unknown };
    try {
      o = JSON.parse(line) as typeof o;
    } catch {
      continue;
    }
    if (typeof o.level !== 'number' || o.level < ERROR_LEVEL) continue;
    const component = String(o.component ?? o.name ?? '?');
    const message = String(o.msg ?? '');
    const error = typeof o.err?.message === 'string' ? errorCore(o.err.message) : '';
    const key = `${component}\u0000${message}\u0000${error}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { component, message, error, count: 1, first: typeof o.time === 'number' ? new Date(o.time).toISOString() : '' });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count);
}

export interface ShadowCounts {
  sent: number;
  matched: number;
  mismatched: number;
  errors: number;
  skipped: number;
  inFlight: number;
}

export interface ShadowBreakdown {
  sent: number;
  matched: number;
  mismatched: number;
  errors: number;
  /** Copies still being compared when the report was read. */
  inFlight: number;
  /** Copies sent whose legacy answer failed or whose client left: nothing to compare them with (counted as skipped). */
  notCompared: number;
  /** Copies not sent because the route's shadow capacity was full (counted as skipped, not as sent). */
  saturated: number;
}

/**
 * The facade counts a copy as `sent` when it goes out and records it once compared; `skipped` holds both the copies
 * whose primary answer failed (sent) and those never sent (capacity full). sent = matched + mismatched + errors +
 * inFlight + notCompared.
 */
export function shadowBreakdown(c: ShadowCounts): ShadowBreakdown {
  const notCompared = Math.max(0, Math.min(c.skipped, c.sent - c.matched - c.mismatched - c.errors - c.inFlight));
  return { sent: c.sent, matched: c.matched, mismatched: c.mismatched, errors: c.errors, inFlight: c.inFlight, notCompared, saturated: c.skipped - notCompared };
}

export function formatShadowBreakdown(b: ShadowBreakdown): string {
  const parts = [`matched ${b.matched}`, `mismatched ${b.mismatched}`, `shadow errors ${b.errors}`];
  if (b.inFlight) parts.push(`still comparing ${b.inFlight}`);
  if (b.notCompared) parts.push(`not compared ${b.notCompared} (legacy answer failed or client left)`);
  const rest = b.saturated ? `; not shadowed ${b.saturated} (shadow capacity full)` : '';
  return `shadowed ${b.sent} = ${parts.join(' + ')}${rest}`;
}

export interface DiffLike {
  method: string;
  url: string;
  differences: string[];
  legacy: { status: number; body: string; truncated?: boolean };
  service: { status: number; body: string; truncated?: boolean } | { error: string };
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** `body.items.0.price` in a parsed body (the compare module's path syntax); undefined when absent. */
function valueAt(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.').slice(1)) {
    if (part === 'length' && Array.isArray(cur)) return cur.length;
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

const show = (v: unknown) => (v === undefined ? 'absent' : clippedJson(v, 60));

/**
 * One line saying why a shadow comparison mismatched: the service failed, the statuses differ, or for each
 * differing path (up to 4) the legacy and the service value. Lists the service sorts differently are compared after
 * sorting (route's `shadow.unordered`), so values at list positions are shown as answered.
 */
export function explainDiff(d: DiffLike): string {
  const head = `${d.method} ${d.url}`;
  if ('error' in d.service) return `${head}: the service copy failed (${d.service.error})`;
  const service = d.service;
  const parts: string[] = [];
  const legacyDoc = parse(d.legacy.body);
  const serviceDoc = parse(service.body);
  for (const p of d.differences.slice(0, 4)) {
    if (p === 'status') parts.push(`status legacy ${d.legacy.status}, service ${service.status}`);
    else if (p.startsWith('header:')) parts.push(`header ${p.slice(7)} differs`);
    else if (p === 'body' || legacyDoc === undefined || serviceDoc === undefined) parts.push(`${p} differs${d.legacy.truncated || service.truncated ? ' (bodies kept only in part)' : ''}`);
    else parts.push(`${p}: legacy ${show(valueAt(legacyDoc, p))}, service ${show(valueAt(serviceDoc, p))}`);
  }
  if (d.differences.length > 4) parts.push(`… ${d.differences.length - 4} more path(s)`);
  return `${head}: ${parts.join('; ')}`;
}

/** A copy with long strings shortened and long lists/objects cut (marked), so its JSON stays valid. */
function clip(v: unknown, maxString: number, maxItems: number, depth = 0): unknown {
  // the record's own fields (method, url, a path) stay whole up to 120 characters; values inside bodies shorten first
  const limit = depth <= 1 ? Math.max(maxString, 120) : maxString;
  if (typeof v === 'string') return v.length > limit ? `${v.slice(0, limit)}…(${v.length} chars)` : v;
  if (v === null || typeof v !== 'object') return v;
  if (depth > 6) return Array.isArray(v) ? `[… ${v.length} items]` : '{…}';
  if (Array.isArray(v)) {
    const out = v.slice(0, maxItems).map((x) => clip(x, maxString, maxItems, depth + 1));
    if (v.length > maxItems) out.push(`… ${v.length - maxItems} more`);
    return out;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  for (const [k, x] of entries.slice(0, maxItems * 2)) out[k] = clip(x, maxString, maxItems, depth + 1);
  if (entries.length > maxItems * 2) out['…'] = `${entries.length - maxItems * 2} more keys`;
  return out;
}

/**
 * JSON of `v` within about `maxChars`, shortened by value (strings, then list lengths) instead of cutting the text:
 * always parseable. Bodies that are JSON inside strings (a diff record's `body`) are parsed first so they shorten too.
 */
export function clippedJson(v: unknown, maxChars = 300): string {
  const expanded = expandBodies(v);
  for (const [s, n] of [[200, 8], [80, 4], [40, 3], [20, 2], [10, 1]] as const) {
    const text = JSON.stringify(clip(expanded, s, n));
    if (text.length <= maxChars) return text;
  }
  return JSON.stringify(clip(expanded, 8, 1, 5));
}

function expandBodies(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(expandBodies);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const parsed = k === 'body' && typeof x === 'string' ? parse(x) : undefined;
    out[k] = parsed !== undefined ? parsed : expandBodies(x);
  }
  return out;
}
