/** The facade's admin API as the demo uses it (the same HTTP API the `strangler` CLI calls). */
export interface RouteView {
  id: string;
  mode: string;
  percent: number;
  service: string | null;
  stats: Record<string, unknown> | null;
}

export interface DiffReport {
  route: string;
  counts: { sent: number; matched: number; mismatched: number; errors: number; skipped: number; inFlight: number };
  noise: { matched: number; mismatched: number };
  diffs: unknown[];
  /** Routes with `shadow.overlap` (search): per list figures, matches included (strangler/overlap-stats.ts). */
  overlap?: { lists: unknown[]; recent: unknown[] };
}

export class FacadeAdmin {
  readonly url: string;
  private readonly token: string;

  constructor(url: string, token: string) {
    this.url = url;
    this.token = token;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'x-strangler-actor': 'demo', ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = (await res.json().catch(() => undefined)) as T & { error?: { message?: string } };
    if (!res.ok) throw new Error(`facade admin ${method} ${path}: ${res.status} ${json?.error?.message ?? ''}`.trim());
    return json;
  }

  status() {
    return this.call<{ version: number; routes: number; byMode: Record<string, number>; openBreakers: string[] }>('GET', '/status');
  }

  routes() {
    return this.call<{ version: number; routes: RouteView[] }>('GET', '/routes');
  }

  route(id: string) {
    return this.call<RouteView>('GET', `/routes/${encodeURIComponent(id)}`);
  }

  set(id: string, mode: 'legacy' | 'shadow' | 'canary' | 'service', percent?: number, reason?: string) {
    return this.call<RouteView>('POST', `/routes/${encodeURIComponent(id)}`, { mode, ...(percent === undefined ? {} : { percent }), reason: reason ?? `demo: ${mode}` });
  }

  rollback(id: string, reason: string) {
    return this.call<RouteView>('POST', `/routes/${encodeURIComponent(id)}/rollback`, { reason });
  }

  diffs(id: string, limit = 3) {
    return this.call<DiffReport>('GET', `/routes/${encodeURIComponent(id)}/diffs?limit=${limit}`);
  }

  audit(limit = 100) {
    return this.call<{ entries: Array<{ route: string; action: string; from: { mode: string }; to: { mode: string; percent: number } }> }>('GET', `/audit?limit=${limit}`);
  }
}
