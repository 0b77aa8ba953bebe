/**
 * The side-by-side view of one shadow mismatch (pure; used by the page): both JSON bodies flattened to
 * `body.<path>` rows in the comparison's own path syntax, each row marked `real` (differs, and legacy never
 * disagrees with itself there), `noise` (differs, but legacy against itself differs there too), `ignored`
 * (the route ignores it) or `same`; and for each path the ignore rule that would silence it.
 */
export type RowKind = 'real' | 'noise' | 'ignored' | 'same';

export interface DiffRow {
  path: string;
  legacy: string | undefined;
  service: string | undefined;
  kind: RowKind;
  /** The `shadow.ignore` entry that covers this path (indexes generalised to `*`). */
  rule: string;
}

/** Flattens a JSON value into `prefix.<key>` → JSON text of each leaf (empty objects/arrays are leaves). */
export function flatten(value: unknown, prefix = 'body', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object') {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, JSON.stringify(value));
    for (const [k, v] of entries) flatten(v, `${prefix}.${k}`, out);
  } else out.set(prefix, JSON.stringify(value));
  return out;
}

/** `body.items.3.price` → `body.items.*.price`: the ignore rule for a path. */
export function ignoreRuleFor(path: string): string {
  return path.split('.').map((s) => (/^\d+$/.test(s) ? '*' : s)).join('.');
}

/** Whether `path` is `pattern` or inside it; `*` in the pattern matches any one segment. */
export function covers(pattern: string, path: string): boolean {
  const p = pattern.split('.');
  const s = path.split('.');
  if (p.length > s.length) return false;
  return p.every((seg, i) => seg === '*' || seg === s[i]);
}

export function parseBody(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/**
 * The rows of one mismatch. `noisy` are the route's noise paths (legacy vs itself); `ignore` its ignore rules.
 * Bodies that are not JSON become one `body` row.
 */
export function diffRows(legacyBody: string, serviceBody: string | undefined, noisy: string[], ignore: string[]): DiffRow[] {
  const a = parseBody(legacyBody);
  const b = serviceBody === undefined ? { ok: false as const } : parseBody(serviceBody);
  const left = a.ok ? flatten(a.value) : new Map([['body', legacyBody]]);
  const right = b.ok ? flatten(b.value) : new Map(serviceBody === undefined ? [] : [['body', serviceBody]]);
  const paths = [...new Set([...left.keys(), ...right.keys()])];
  const noisyRules = noisy.map(ignoreRuleFor);
  return paths.map((path) => {
    const l = left.get(path);
    const r = right.get(path);
    const rule = ignoreRuleFor(path);
    let kind: RowKind = 'same';
    if (ignore.some((i) => covers(i, path))) kind = 'ignored';
    else if (l !== r) kind = noisyRules.some((n) => covers(n, rule)) ? 'noise' : 'real';
    return { path, legacy: l, service: r, kind, rule };
  });
}

/** Counts per kind, for the summary line above a diff. */
export function countKinds(rows: DiffRow[]): Record<RowKind, number> {
  const c: Record<RowKind, number> = { real: 0, noise: 0, ignored: 0, same: 0 };
  for (const r of rows) c[r.kind]++;
  return c;
}
