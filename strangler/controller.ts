/**
 * Owns the table in force. Documents from the route source are validated,
 * compiled and swapped in as one reference; an invalid one is rejected with
 * its reasons and the old table keeps serving. Route changes (mode, percent,
 * rollback) are validated, written through the source (so every instance
 * converges), applied locally and audited.
 */
import { Counter } from 'prom-client';
import type { AuditAction, AuditLog } from './audit.ts';
import type { ActiveTable } from './facade.ts';
import type { FacadeMetrics } from './metrics.ts';
import { BREAKER_STATE_VALUE } from './breaker.ts';
import { docVersion, UnreadableDocument, VersionConflict, type RouteSource } from './sources/types.ts';
import type { RouteStats, StatsStore } from './stats.ts';
import { shadowPoolShortfalls } from './table/advice.ts';
import { compileTable } from './table/compile.ts';
import { displayRoute, MODES, TableError, validateTable, type Mode, type RouteTable } from './table/schema.ts';
import { buildUpstreams, closeUpstreams, type Upstream } from './upstreams.ts';
import type { Logger } from '../lib/logger.ts';
import { AppError } from '../lib/errors.ts';
import { maskSecretsInText } from '../lib/mask.ts';

/** Admin changes that could not reach the route source answer 503 with this code (never 500). */
export const SOURCE_UNAVAILABLE = 'ROUTE_SOURCE_UNAVAILABLE';

export interface RouteChange {
  mode: Mode;
  percent?: number;
  reason?: string;
  who: string;
}

/** One audited part of a table edit (controller.edit). `after` of a put is filled from the validated table. */
export interface Edit {
  action: AuditAction;
  /** Route id, `upstream:<name>` or `(table)`. */
  target: string;
  from?: { mode: string; percent: number };
  to?: { mode: string; percent: number };
  before?: unknown;
  after?: unknown;
  diff?: unknown;
}

export interface EditResult {
  version: number;
  edits: Edit[];
  /** False when there was nothing to change (no write, no version bump) or on a dry run. */
  written: boolean;
}

export interface Rejection {
  at: string;
  errors: string[];
}

export class RouteController {
  private current: ActiveTable | null = null;
  private readonly source: RouteSource;
  readonly auditLog: AuditLog;
  private readonly stats: StatsStore;
  private readonly metrics: FacadeMetrics;
  private readonly logger: Logger;
  lastRejection: Rejection | null = null;
  loadedAt: string | null = null;
  /** Advice on the table in force (table/advice.ts): settings that work but will not do what they seem to; logged at warn when applied, and shown by the admin API. */
  advice: string[] = [];
  private readonly retiring = new Set<Upstream>();
  private changeChain: Promise<unknown> = Promise.resolve();
  /** The newest `source.applied` (remembering the table locally); admin changes wait for it. */
  private remembering: Promise<void> = Promise.resolve();
  private readonly sourceFailures: Counter<'op'>;
  private readonly changes: Counter<'op' | 'result'>;

  constructor(opts: { source: RouteSource; audit: AuditLog; stats: StatsStore; metrics: FacadeMetrics; logger: Logger }) {
    this.source = opts.source;
    this.auditLog = opts.audit;
    this.stats = opts.stats;
    this.metrics = opts.metrics;
    this.logger = opts.logger.child({ component: 'routes' });
    this.sourceFailures = new Counter({
      name: 'strangler_route_source_failures_total', help: 'Route source operations that failed: write, read (admin changes), remember (last applied table file)',
      labelNames: ['op'], registers: [opts.metrics.registry],
    });
    this.changes = new Counter({
      name: 'strangler_table_edits_total', help: 'Admin table edits (route/upstream put and delete, modes, apply) by result: applied, unchanged, dry-run, refused (4xx), failed (5xx)',
      labelNames: ['op', 'result'], registers: [opts.metrics.registry],
    });
  }

  /** The table in force (the hot path reads this once per request). */
  readonly active = (): ActiveTable => this.current!;

  get table(): RouteTable {
    return this.current!.compiled.table;
  }

  get sourceKind(): string {
    return this.source.kind;
  }

  sourceStatus() {
    return this.source.status();
  }

  async start(): Promise<void> {
    let doc = await this.source.start((d) => this.offer(d));
    // a shared source must not take this instance back behind the table it applied last (before a restart)
    const kept = this.source.remembered?.() ?? null;
    const problem = this.source.rememberedProblem?.() ?? null;
    if (problem !== null) {
      this.sourceFailures.labels('remember').inc();
      this.logger.warn({ problem }, 'the last applied route table could not be read; starting without it');
    }
    if (kept !== null && doc !== kept && this.source.monotonic && docVersion(doc) < docVersion(kept)) {
      this.refuseStale(docVersion(doc), docVersion(kept));
      doc = kept;
    }
    let result = this.apply(doc);
    if (!result.ok && kept !== null && doc !== kept) {
      this.logger.warn({ errors: result.errors, version: docVersion(kept) }, 'stored route table rejected at start; serving the table applied last');
      result = this.apply(kept);
    }
    if (!result.ok) throw new TableError(result.errors, 'initial route table is invalid');
  }

  private refuseStale(version: number, inForce: number): { ok: false; errors: string[] } {
    const errors = [`version: ${version} is older than the table applied (version ${inForce}); a route table never goes back, write it with a higher version`];
    this.lastRejection = { at: new Date().toISOString(), errors };
    this.metrics.reloads.labels('stale').inc();
    this.logger.warn({ version, inForce }, 'route table older than the one applied; refused, the applied table keeps serving');
    return { ok: false, errors };
  }

  private sourceUnavailable(op: 'write' | 'read', err: unknown, route: string): AppError {
    this.sourceFailures.labels(op).inc();
    const message = maskSecretsInText((err as Error)?.message ?? String(err));
    this.logger.warn({ err: message, route, op, source: this.source.kind }, 'route source unavailable; the change was not made');
    return new AppError(SOURCE_UNAVAILABLE, `the route source (${this.source.kind}) is unavailable, the change was not made: ${message}`, { status: 503 });
  }

  /** A document arrived from the source. */
  private offer(doc: unknown): void {
    if (this.current !== null && typeof doc === 'object' && doc !== null && !(doc instanceof UnreadableDocument)) {
      const v = (doc as { version?: unknown }).version;
      if (v === this.current.compiled.version && JSON.stringify(doc) === JSON.stringify(this.current.compiled.table)) return;
    }
    this.apply(doc);
  }

  /** Validates, compiles and swaps; returns the errors if rejected. */
  apply(doc: unknown): { ok: true } | { ok: false; errors: string[] } {
    if (this.source.monotonic && this.current !== null && !(doc instanceof UnreadableDocument) && docVersion(doc) < this.current.compiled.version) {
      return this.refuseStale(docVersion(doc), this.current.compiled.version);
    }
    const result = doc instanceof UnreadableDocument ? { ok: false as const, errors: [doc.reason] } : validateTable(doc);
    if (!result.ok) {
      this.lastRejection = { at: new Date().toISOString(), errors: result.errors };
      this.metrics.reloads.labels('rejected').inc();
      this.logger.error({ errors: result.errors }, 'route table rejected; the previous table keeps serving');
      return result;
    }
    const table = result.table;
    const compiled = compileTable(table);
    const { next, retired } = buildUpstreams(table.upstreams, this.current?.upstreams ?? null, this.logger);
    const routeStats = new Map<string, RouteStats>();
    for (const r of table.routes) {
      const s = this.stats.get(r.id, r.shadow.history);
      s.resizeHistory(r.shadow.history);
      s.setPathCap(r.shadow.diffPaths);
      s.setIgnore(r.shadow.ignore);
      const b = s.ensureBreaker(r.breaker);
      if (r.mode === 'legacy' || r.mode === 'shadow') b.reset();
      routeStats.set(r.id, s);
      this.metrics.breakerState.labels(r.id).set(BREAKER_STATE_VALUE[b.state]);
    }
    for (const f of table.fallbacks) {
      const id = 'fallback:' + (f.host ?? '') + (f.prefix ?? '');
      routeStats.set(id, this.stats.get(id));
    }
    this.current = { compiled, upstreams: next, routeStats };
    this.loadedAt = new Date().toISOString();
    this.metrics.tableVersion.set(table.version);
    this.metrics.reloads.labels('applied').inc();
    this.logger.info({ version: table.version, routes: table.routes.length }, 'route table applied');
    // GET copies are pipelined on the lean shadow client (its depth), everything else goes one per connection
    const advice: string[] = [];
    for (const s of shadowPoolShortfalls(table, (name) => next.get(name)?.shadowLean?.depth ?? 1)) {
      const text = `upstream ${s.upstream}: its shadow routes (${s.routes.join(', ')}) may have ${s.inFlight} copies in flight, needing ${s.connections} shadow connections, but shadowPool is ${s.shadowPool}; copies over it wait for a connection and, once the routes' caps fill, are skipped (raise upstreams.${s.upstream}.shadowPool)`;
      this.logger.warn({ version: table.version, ...s }, text);
      advice.push(text);
    }
    this.advice = advice;
    const remember = this.source.applied?.(table);
    if (remember) {
      this.remembering = remember.catch((err) => {
        this.sourceFailures.labels('remember').inc();
        this.logger.warn({ err, version: table.version }, 'could not remember the applied route table locally');
      });
    }
    for (const u of retired) {
      this.retiring.add(u);
      void closeUpstreams([u]).finally(() => this.retiring.delete(u));
    }
    return { ok: true };
  }

  /** Refreshes breaker gauges (called before metrics are scraped). */
  refreshGauges(now: number): void {
    for (const r of this.table.routes) {
      const b = this.stats.peek(r.id)?.breaker;
      if (b) this.metrics.breakerState.labels(r.id).set(BREAKER_STATE_VALUE[b.current(now)]);
    }
  }

  /** Changes one route's mode/percent: validate, write through the source, apply, audit. Serialised per instance. */
  change(id: string, change: RouteChange, action: 'set' | 'rollback' = 'set'): Promise<RouteTable['routes'][number]> {
    const run = this.changeChain.then(() => this.doChange(id, change, action));
    this.changeChain = run.catch(() => undefined);
    return run;
  }

  rollback(id: string, who: string, reason?: string) {
    return this.change(id, { mode: 'legacy', percent: 0, who, reason: reason ?? 'rollback' }, 'rollback');
  }

  private async doChange(id: string, change: RouteChange, action: 'set' | 'rollback') {
    if (!MODES.includes(change.mode)) throw new AppError('VALIDATION_FAILED', `mode must be one of ${MODES.join(', ')}`);
    for (let attempt = 0; ; attempt++) {
      const table = this.table;
      const idx = table.routes.findIndex((r) => r.id === id);
      if (idx === -1) throw new AppError('NOT_FOUND', `no route with id "${id}"`);
      const before = table.routes[idx];
      const percent = change.percent ?? (change.mode === 'canary' ? before.percent : change.mode === 'service' ? 100 : 0);
      const doc = structuredClone(table) as RouteTable;
      doc.version = table.version + 1;
      doc.routes[idx] = { ...doc.routes[idx], mode: change.mode, percent };
      const checked = validateTable(doc);
      if (!checked.ok) throw new AppError('VALIDATION_FAILED', checked.errors.join('; '), { details: checked.errors });
      try {
        await this.source.write(doc, table.version);
      } catch (err) {
        if (err instanceof VersionConflict && attempt < 3) {
          await this.resync(id);
          continue;
        }
        if (err instanceof VersionConflict) throw new AppError('CONFLICT', err.message);
        throw this.sourceUnavailable('write', err, id);
      }
      this.apply(doc);
      await this.remembering;
      if (change.mode === 'legacy') this.stats.peek(id)?.breaker?.reset();
      await this.auditLog.append({
        at: new Date().toISOString(), who: change.who, route: id, action,
        from: { mode: before.mode, percent: before.percent }, to: { mode: change.mode, percent },
        reason: change.reason ?? '', version: doc.version,
      }).catch((err) => this.logger.error({ err, route: id }, 'audit append failed'));
      this.logger.info({ route: id, who: change.who, from: before.mode, to: change.mode, percent }, 'route changed');
      return this.table.routes[idx];
    }
  }

  /**
   * Changes the table as one audited change (one version bump): `build` edits a copy of the table in force and
   * lists what it changed (throwing AppError for refusals); the result is validated with the table schema,
   * written through the source, applied and audited (one entry per edit, each with before and after).
   * Nothing listed: nothing written. Serialised with the other changes of this instance; retried on version conflicts.
   */
  edit(who: string, reason: string | undefined, build: (doc: RouteTable, live: RouteTable) => Edit[], opts: { dryRun?: boolean; op?: string } = {}): Promise<EditResult> {
    const op = opts.op ?? 'edit';
    const run = this.changeChain.then(() => this.doEdit(who, reason, build, opts.dryRun === true)).then((r) => {
      this.changes.labels(op, opts.dryRun ? 'dry-run' : r.written ? 'applied' : 'unchanged').inc();
      return r;
    }, (err: unknown) => {
      const status = (err as AppError)?.status ?? 500;
      this.changes.labels(op, status < 500 ? 'refused' : 'failed').inc();
      this.logger.warn({ op, who, status, err: maskSecretsInText((err as Error)?.message ?? String(err)) }, 'route table edit refused; the table in force is unchanged');
      throw err;
    });
    this.changeChain = run.catch(() => undefined);
    return run;
  }

  private async doEdit(who: string, reason: string | undefined, build: (doc: RouteTable, live: RouteTable) => Edit[], dryRun: boolean): Promise<EditResult> {
    for (let attempt = 0; ; attempt++) {
      const table = this.table;
      const doc = structuredClone(table) as RouteTable;
      const edits = build(doc, table);
      if (edits.length === 0 || dryRun) return { version: table.version, edits, written: false };
      doc.version = table.version + 1;
      const checked = validateTable(doc);
      if (!checked.ok) throw new AppError('VALIDATION_FAILED', checked.errors.join('; '), { details: checked.errors });
      for (const e of edits) {
        if (e.action === 'route-put') {
          const r = checked.table.routes.find((x) => x.id === e.target);
          e.after = r ? displayRoute(r) : null;
        }
        else if (e.action === 'upstream-put') e.after = checked.table.upstreams[e.target.slice('upstream:'.length)] ?? null;
      }
      try {
        await this.source.write(checked.table, table.version);
      } catch (err) {
        if (err instanceof VersionConflict && attempt < 3) {
          await this.resync(edits[0].target);
          continue;
        }
        if (err instanceof VersionConflict) throw new AppError('CONFLICT', err.message);
        throw this.sourceUnavailable('write', err, edits[0].target);
      }
      this.apply(checked.table);
      await this.remembering;
      const at = new Date().toISOString();
      for (const e of edits) {
        if (e.action === 'set' && e.to?.mode === 'legacy') this.stats.peek(e.target)?.breaker?.reset();
        if (e.action === 'route-delete') this.stats.forget(e.target);
        await this.auditLog.append({
          at, who, route: e.target, action: e.action, reason: reason ?? '', version: doc.version,
          ...(e.from ? { from: e.from, to: e.to } : {}),
          ...(e.action === 'set' || e.action === 'rollback' ? {} : { before: e.before ?? null, after: e.after ?? null }),
          ...(e.diff !== undefined ? { diff: e.diff } : {}),
        }).catch((err) => this.logger.error({ err, route: e.target }, 'audit append failed'));
      }
      this.logger.info({ who, version: doc.version, changes: edits.map((e) => `${e.action} ${e.target}`) }, 'route table edited');
      return { version: doc.version, edits, written: true };
    }
  }

  /** Clears one route's live counters (not its breaker); audited. */
  async resetStats(id: string, who: string, reason?: string): Promise<void> {
    if (!this.table.routes.some((r) => r.id === id)) throw new AppError('NOT_FOUND', `no route with id "${id}"`);
    const s = this.stats.peek(id);
    const before = s ? { requests: s.requests, fallbacks: s.fallbacks, shadow: { ...s.shadow } } : null;
    s?.resetCounters();
    await this.auditLog.append({ at: new Date().toISOString(), who, route: id, action: 'stats-reset', before, after: null, reason: reason ?? '', version: this.table.version })
      .catch((err) => this.logger.error({ err, route: id }, 'audit append failed'));
  }

  /** Re-reads the source after a version conflict (another instance wrote first). */
  private async resync(route: string): Promise<void> {
    let doc: unknown;
    try {
      doc = await this.source.current();
    } catch (err) {
      throw this.sourceUnavailable('read', err, route);
    }
    const r = this.apply(doc);
    if (r.ok) return;
    const stored = docVersion(doc);
    if (this.source.monotonic && stored < this.current!.compiled.version) {
      // the store went back (restored from a backup, re-seeded elsewhere): put the table in force back, then retry
      this.logger.warn({ route, stored, inForce: this.current!.compiled.version }, 'stored route table is older than the one applied; writing the applied one back');
      try {
        await this.source.write(this.table, stored);
      } catch (err) {
        if (err instanceof VersionConflict) return; // someone else wrote meanwhile: the caller re-reads
        throw this.sourceUnavailable('write', err, route);
      }
      return;
    }
    throw new AppError('CONFLICT', 'the stored route table changed and is invalid: ' + r.errors.join('; '));
  }

  async close(): Promise<void> {
    await this.source.close();
    const ups = [...(this.current?.upstreams.values() ?? []), ...this.retiring];
    await closeUpstreams(ups);
  }
}
