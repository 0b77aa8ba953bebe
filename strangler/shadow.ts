/**
 * Shadow and noise copies: a request sent off the primary path, over the
 * upstream's own shadow pool (never the live one), with its own deadline and
 * a bounded body capture. A copy whose deadline passed while it waited for a
 * shadow connection is never sent. It never throws; it resolves to the
 * captured response or an error description. The caller compares and records.
 */
import type { Dispatcher } from 'undici';
import { deadlineList, type DeadlineItem, type DeadlineList } from './deadline-list.ts';
import { classifyError } from './engine.ts';
import { leanEligible, type LeanDispatchOptions } from './relay/pool.ts';
import { compareResponses, type CapturedResponse, type CompareResult } from './compare.ts';
import type { DiffRecord, RouteStats } from './stats.ts';
import type { ShadowSpec } from './table/schema.ts';

/** `queuedMs`: how long a pipelined copy's answer waited behind earlier answers on its connection (relay/pipeline-pool.ts). */
export type ShadowOutcome = { ok: true; response: CapturedResponse; queuedMs?: number } | { ok: false; error: string };

/** Told once how a shadow/noise copy ended. */
export interface ShadowSink {
  shadowDone(o: ShadowOutcome): void;
}

/** One chunk as it is (a view the capture keeps anyway), several joined. */
export function joinChunks(chunks: Buffer[], size: number): Buffer {
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
}

/**
 * Collects one shadow/noise answer with a bounded capture; a raw dispatch handler (no streams, no promise per chunk),
 * its deadline on the shared list for its duration (deadline-list.ts), not a timer of its own.
 */
class CaptureHandler implements Dispatcher.DispatchHandler, DeadlineItem {
  readonly limit: number;
  status = 0;
  headers: Record<string, string | string[] | undefined> = {};
  chunks: Buffer[] = [];
  size = 0;
  truncated = false;
  controller: Dispatcher.DispatchController | null = null;
  timedOut = false;
  readonly sink: ShadowSink;
  readonly deadlines: DeadlineList;
  dueAt = 0;
  prevDue: DeadlineItem | null = null;
  nextDue: DeadlineItem | null = null;
  listed = false;

  constructor(limit: number, sink: ShadowSink, deadlines: DeadlineList) {
    this.limit = limit;
    this.sink = sink;
    this.deadlines = deadlines;
  }

  onDeadline(): void {
    this.timedOut = true;
    if (this.controller !== null) this.controller.abort(new Error('shadow deadline'));
    this.finish({ ok: false, error: 'timeout' });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new Error('shadow deadline')); // timed out while queued: never sent
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    this.status = status;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    if (this.size + chunk.length > this.limit) {
      this.chunks.push(chunk.subarray(0, this.limit - this.size));
      this.size = this.limit;
      this.truncated = true;
      this.finish({ ok: true, response: this.response() });
      controller.abort(new Error('capture limit'));
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(controller: Dispatcher.DispatchController): void {
    const queued = (controller as { queuedMs?: unknown }).queuedMs;
    this.finish({ ok: true, response: this.response(), ...(typeof queued === 'number' && queued > 0 ? { queuedMs: queued } : {}) });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    const e = err as { code?: string; name?: string; message?: string };
    const kind = classifyError(err);
    this.finish({ ok: false, error: this.timedOut || kind === 'timeout' ? 'timeout' : String(e.code ?? e.name ?? e.message ?? 'error') });
  }

  response(): CapturedResponse {
    return { status: this.status, headers: this.headers, body: joinChunks(this.chunks, this.size), truncated: this.truncated };
  }

  private settled = false;
  finish(o: ShadowOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.deadlines.remove(this);
    this.chunks = [];
    this.sink.shadowDone(o);
  }
}

/** The lean side of a shadow pool (relay/pipeline-pool.ts, or relay/pool.ts). */
export interface LeanDispatcher {
  dispatch(o: LeanDispatchOptions, handler: Dispatcher.DispatchHandler): boolean;
}

/** Sends one copy; `sink` hears once how it ended (never an exception). */
export function shadowFetch(pool: Dispatcher, lean: LeanDispatcher | null, req: { method: string; path: string; headers: Record<string, unknown>; body: Buffer | null },
  kind: 'service' | 'noise', timeoutMs: number, captureLimit: number, sink: ShadowSink): void {
  const headers: Record<string, string | string[]> = {};
  for (const k in req.headers) {
    const v = req.headers[k];
    if (v !== undefined) headers[k] = v as string | string[];
  }
  headers['x-strangler-shadow'] = kind;
  const deadlines = deadlineList(timeoutMs);
  const h = new CaptureHandler(captureLimit, sink, deadlines);
  deadlines.add(h);
  try {
    if (lean !== null && leanEligible(req.method, req.path, headers, req.body)) lean.dispatch({ method: req.method, path: req.path, headers, body: req.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }, h);
    else pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.path, headers, body: req.body, headersTimeout: timeoutMs, bodyTimeout: timeoutMs }, h);
  } catch (err) {
    h.finish({ ok: false, error: String((err as Error).message) });
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
  const use = { parsed: false, hits: [] as boolean[] };
  const result = compareResponses(primary, other.response, p.spec, use);
  record(result.match ? 'match' : 'mismatch', result.differences);
  if (use.parsed) p.stats.recordIgnoreUse(p.spec.ignore, use.hits);
  if (kind === 'service' && result.overlap) p.stats.recordOverlap(result.overlap, { requestId: p.requestId, url: p.url, match: result.match });
  if (!result.match) {
    (kind === 'service' ? p.stats.diffs : p.stats.noiseDiffs).push({
      at: new Date().toISOString(), requestId: p.requestId, method: p.method, url: p.url, differences: result.differences,
      legacy: preview(primary, p.spec.headers), service: preview(other.response, p.spec.headers),
      ...(result.overlap ? { overlap: result.overlap } : {}),
    });
  }
  return result;
}
