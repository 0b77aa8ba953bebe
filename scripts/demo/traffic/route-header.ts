/** Parses the facade's `x-strangler-route: <id>; upstream=<name>[; fallback=<reason>]`. Pure. */
export interface ServedBy {
  route: string;
  upstream?: string;
  fallback?: string;
}

export function parseRouteHeader(v: string | string[] | undefined): ServedBy | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  const [id, ...rest] = s.split(';').map((p) => p.trim());
  if (!id) return undefined;
  const out: ServedBy = { route: id };
  for (const kv of rest) {
    const i = kv.indexOf('=');
    if (i <= 0) continue;
    const k = kv.slice(0, i);
    const val = kv.slice(i + 1);
    if (k === 'upstream') out.upstream = val;
    else if (k === 'fallback') out.fallback = val;
  }
  return out;
}
