/**
 * Shadow and noise copies: a request sent off the primary path with its own
 * deadline and a bounded body capture. It never throws; it resolves to the
 * captured response or an error description. The caller compares and records.
 */
import type { Dispatcher } from 'undici';
import { compareResponses, type CapturedResponse, type CompareResult } from './compare.ts';
import type { DiffRecord, RouteStats } from './stats.ts';
import type { ShadowSpec } from './table/schema.ts';

export type ShadowOutcome = { ok: true; response: CapturedResponse } | { ok: false; error: string };

export async function shadowFetch(pool: Dispatcher, req: { method: string; path: string; headers: Record<string, unknown>; body: Buffer | null },
  kind: 'service' | 'noise', timeoutMs: number, captureLimit: number): Promise<ShadowOutcome> {
  const headers: Record<string, string | string[]> = {};
  for (const k in req.headers) {
    const v = req.headers[k];
    if (v !== undefined) headers[k] = v as string | string[];
  }
  headers['x-strangler-shadow'] = kind;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const r = await pool.request({
      method: req.method as Dispatcher.HttpMethod,
      path: req.path,
      headers,
      body: req.body,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of r.body) {
      const c = chunk as Buffer;
      if (size + c.length > captureLimit) {
        truncated = true;
        chunks.push(c.subarray(0, captureLimit - size));
        size = captureLimit;
        r.body.destroy();
        break;
      }
      chunks.push(c);
      size += c.length;
    }
    return { ok: true, response: { status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks, size), truncated } };
  } catch (err) {
    const e = err as { code?: string; name?: string; message?: string };
    return { ok: false, error: signal.aborted ? 'timeout' : String(e.code ?? e.name ?? e.message ?? 'error') };
  }
}

const BODY_KEEP = 4096;

function preview(r: CapturedResponse, headerNames: string[]) {
  const headers: Record<string, string> = {};
  for (const h of headerNames) {
    const v = r.headers[h];
    if (v !== undefined) headers[h] = Array.isArray(v) ? v.join(', ') : v;
  }
  const text = r.body.subarray(0, BODY_KEEP).toString('utf8');
  return { status: r.status, headers, body: text, truncated: r.truncated || r.body.length > BODY_KEEP };
}

export interface PendingComparison {
  stats: RouteStats;
  spec: ShadowSpec;
  requestId: string;
  method: string;
  url: string;
}

/** Compares the primary (legacy) answer with a shadow/noise answer and records the result. */
export function recordComparison(p: PendingComparison, kind: 'service' | 'noise', primary: CapturedResponse | null, other: ShadowOutcome): CompareResult | null {
  const record = (result: 'match' | 'mismatch' | 'error' | 'skipped', diffs: string[] = []) => {
    if (kind === 'service') p.stats.recordShadow(result, diffs);
    else if (result !== 'skipped') p.stats.recordNoise(result, diffs);
  };
  if (primary === null) {
    record('skipped');
    return null;
  }
  if (!other.ok) {
    record('error');
    if (kind === 'service') {
      p.stats.diffs.push({
        at: new Date().toISOString(), requestId: p.requestId, method: p.method, url: p.url, differences: ['error'],
        legacy: preview(primary, p.spec.headers), service: { error: other.error },
      } satisfies DiffRecord);
    }
    return null;
  }
  const result = compareResponses(primary, other.response, p.spec);
  record(result.match ? 'match' : 'mismatch', result.differences);
  if (!result.match) {
    (kind === 'service' ? p.stats.diffs : p.stats.noiseDiffs).push({
      at: new Date().toISOString(), requestId: p.requestId, method: p.method, url: p.url, differences: result.differences,
      legacy: preview(primary, p.spec.headers), service: preview(other.response, p.spec.headers),
    });
  }
  return result;
}
