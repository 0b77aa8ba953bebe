import type mysql from 'mysql2/promise';
import { maskSecretsInText } from '../../../lib/mask.ts';
import { drain } from './applier.ts';
import { setFence, startCapture } from './capture.ts';
import { movingShapes, type SplitContext } from './context.ts';
import { SplitError } from './errors.ts';
import { autoIncrementOf } from './introspect.ts';
import { forwardLink, reverseLink, type Link } from './link.ts';
import { dropCrossingForeignKeys } from './crossing.ts';
import { ddlPolicy } from './ddl.ts';
import { openOwnership } from './ownership.ts';
import { openConnection, type Side } from './side.ts';
import { fenceTable, q, qq, type TableShape } from './sql.ts';
import { note, type SplitState } from './state.ts';
import { compareChunk } from './verifier.ts';

export interface SwitchResult {
  kind: 'cutover' | 'rollback';
  freezeMs: number;
  /** Milliseconds spent in each step of the freeze (fence+drain, final catch-up, checks, flip). */
  steps?: Record<string, number>;
  resumed: boolean;
  owner: string;
  database: string;
}

/**
 * Cutover and rollback are the same dance in opposite directions:
 *   1. catch up while writes continue; prepare the new live side outside the
 *      freeze: capture triggers installed there (fenced), AUTO_INCREMENT raised
 *      past the old side's with a margin;
 *   2. raise the fence on the live side: one UPDATE of its fence row. Every
 *      transaction that wrote a moved table holds a shared lock on that row
 *      until it ends, so the UPDATE returns only when they all committed or
 *      rolled back (the drain, Vitess #9400); writers arriving meanwhile queue
 *      behind it and then get an error. A watchdog KILLs the UPDATE at the
 *      abort limit, so a long transaction cannot stretch the freeze;
 *   3. final catch-up; compare the newest rows (Spirit #156); AUTO_INCREMENT
 *      re-checked;
 *   4. lower the fence on the new live side and flip the ownership registry
 *      with compare-and-set. The freeze is 2 → 4.
 * Any failure before the flip undoes the fence: writes resume where they were
 * and ownership is unchanged. The fence stays up on the old side afterwards,
 * so a stale process writing there gets an error instead of losing its write.
 */
export async function switchOver(ctx: SplitContext, state: SplitState, kind: 'cutover' | 'rollback'): Promise<SwitchResult> {
  const shapes = await movingShapes(ctx);
  const link = kind === 'cutover' ? forwardLink(ctx, shapes) : reverseLink(ctx, shapes);
  const own = await openOwnership(ctx, { announce: true });
  const domain = ctx.service.spec.domain;
  try {
    await own.registry.refresh();
    let rec = own.registry.get(domain);
    const wantFlipped = kind === 'cutover' ? { owner: 'service' as const, database: 'own' as const } : (state.previousOwnership ?? { owner: 'legacy' as const, database: 'legacy' as const });

    // resume after a kill: did the flip commit?
    if (state.switching?.kind === kind && rec.version > state.switching.expectVersion) {
      await finish(ctx, state, link, kind, 0, true);
      return { kind, freezeMs: 0, resumed: true, owner: rec.owner, database: rec.database };
    }
    const wantPhase = kind === 'cutover' ? 'copied' : 'cutover';
    if (state.phase !== wantPhase) throw new SplitError('WRONG_PHASE', `${kind} needs phase ${wantPhase}, ${ctx.service.name} is ${state.phase}`);
    if (kind === 'cutover' && rec.owner === 'service' && rec.database === 'own') {
      throw new SplitError('WRONG_PHASE', `ownership of ${domain} already says service/own (version ${rec.version}); refusing to flip again`);
    }

    // 1. catch up while the application keeps writing; prepare the new side
    await drain(link, ctx.opts.applyBatch, ctx.faults, { maxMs: 30_000, signal: ctx.signal, onBatch: (r) => count(state, link, r.changes) });
    if (kind === 'cutover') await dropCrossingForeignKeys(ctx, state, ddlPolicy(ctx));
    await startCapture(link.to, ctx.service.name, shapes, true, false, ddlPolicy(ctx));
    await setFence(link.to, ctx.service.name, true);
    await carryAutoIncrement(link, AUTO_INCREMENT_MARGIN);

    if (kind === 'cutover' && !state.previousOwnership) state.previousOwnership = { owner: rec.owner, database: rec.database };
    state.switching = { kind, step: 'fencing', startedAt: new Date().toISOString(), expectVersion: rec.version };
    await ctx.store.save(state);

    const fenceConn = await openConnection(link.from.dsn);
    const watchdog = new Watchdog(link.from.dsn, fenceConn, ctx.opts.freezeAbortMs);
    let t0 = performance.now();
    let flipped = false;
    try {
      await fenceConn.query(`SET SESSION innodb_lock_wait_timeout = ${Math.max(1, Math.ceil(ctx.opts.freezeAbortMs / 1000))}`);
      // the preparation took a while under load: catch up once more, right before the fence, so the frozen catch-up is small
      await drain(link, ctx.opts.applyBatch, ctx.faults, { maxMs: 5_000, signal: ctx.signal, onBatch: (r) => count(state, link, r.changes) });
      t0 = performance.now();
      watchdog.arm();
      const steps: Record<string, number> = {};
      let mark = performance.now();
      const lap = (name: string) => {
        const now = performance.now();
        steps[name] = Math.round((now - mark) * 10) / 10;
        mark = now;
      };
      // 2. fence + drain
      await raiseFence(fenceConn, link.from.db, ctx.service.name, watchdog);
      lap('fence+drain');
      watchdog.check('fence');
      ctx.faults.hit('cutover-fenced');
      // 3. final catch-up, newest rows, AUTO_INCREMENT
      await drain(link, ctx.opts.applyBatch, ctx.faults, { onBatch: (r) => count(state, link, r.changes) });
      lap('final catch-up');
      watchdog.check('final catch-up');
      await checkNewestRows(link, ctx.opts.newestRowsCheck);
      lap('newest rows');
      watchdog.check('newest-rows check');
      await carryAutoIncrement(link, 0n);
      lap('auto_increment');
      ctx.faults.hit(kind === 'cutover' ? 'cutover-before-flip' : 'rollback-before-flip');
      watchdog.check('flip');
      // 4. open the new side, flip
      await setFence(link.to, ctx.service.name, false);
      rec = await own.registry.set(domain, wantFlipped, {
        actor: ctx.actor, reason: `split-db ${kind} of ${ctx.service.name}`, ifVersion: state.switching.expectVersion,
      });
      lap('open + flip');
      flipped = true;
      watchdog.disarm();
      const freezeMs = Math.round((performance.now() - t0) * 10) / 10;
      if (kind === 'cutover') ctx.faults.hit('cutover-after-flip');
      await finish(ctx, state, link, kind, freezeMs, false);
      return { kind, freezeMs, steps, resumed: false, owner: rec.owner, database: rec.database };
    } catch (err) {
      watchdog.disarm();
      if (!flipped) {
        // was the flip committed even though we saw an error?
        await own.registry.refresh().catch(() => undefined);
        if (own.registry.get(domain).version > state.switching.expectVersion) {
          await finish(ctx, state, link, kind, Math.round(performance.now() - t0), false);
          const r = own.registry.get(domain);
          return { kind, freezeMs: Math.round(performance.now() - t0), resumed: true, owner: r.owner, database: r.database };
        }
        await undo(ctx, state, link, shapes, kind, err, watchdog.fired, t0);
      }
      throw err;
    } finally {
      await fenceConn.end().catch(() => fenceConn.destroy());
    }
  } finally {
    await own.close();
  }
}

function count(state: SplitState, link: Link, n: number): void {
  if (link.direction === 'forward') state.applied.forward += n;
  else state.applied.reverse += n;
  state.applied.batches += 1;
}

async function finish(ctx: SplitContext, state: SplitState, link: Link, kind: 'cutover' | 'rollback', freezeMs: number, resumed: boolean): Promise<void> {
  if (resumed) {
    // killed right after the flip: make sure the sides are in their final state
    await startCapture(link.to, ctx.service.name, link.shapes);
    await setFence(link.to, ctx.service.name, false);
    await setFence(link.from, ctx.service.name, true);
  }
  state.phase = kind === 'cutover' ? 'cutover' : 'copied';
  state.switching = undefined;
  state.verify = undefined;
  if (kind === 'rollback') state.previousOwnership = undefined;
  state.attempts.push({ at: new Date().toISOString(), kind, ok: true, ...(resumed ? {} : { freezeMs }) });
  note(state, kind === 'cutover' ? 'cut over' : 'rolled back', resumed ? 'resumed after interruption' : `write freeze ${freezeMs} ms`);
  await ctx.store.save(state);
}

async function undo(ctx: SplitContext, state: SplitState, link: Link, shapes: Map<string, TableShape>, kind: 'cutover' | 'rollback', err: unknown, timedOut: boolean, t0: number): Promise<never> {
  // writes resume on the side that was live; the other side is fenced again
  void shapes;
  await setFence(link.to, ctx.service.name, true);
  await setFence(link.from, ctx.service.name, false);
  const step = state.switching?.step ?? '?';
  const msg = maskSecretsInText(err instanceof Error ? err.message : String(err));
  state.switching = undefined;
  // how long writes were held: from the fence attempt until they resumed
  state.attempts.push({ at: new Date().toISOString(), kind, ok: false, error: msg, freezeMs: Math.round(performance.now() - t0) });
  note(state, `${kind} aborted`, msg);
  await ctx.store.save(state);
  const why = timedOut ? `write freeze exceeded the abort limit of ${ctx.opts.freezeAbortMs} ms` : msg;
  throw new SplitError('CUTOVER_ABORTED', `${kind} of ${ctx.service.name} aborted (${why}); writes resumed on ${link.from === ctx.source ? 'the source' : 'the target'}, ownership unchanged (step ${step})`);
}

/** Compares the newest rows of every table (Spirit #156: the last rows are where a cutover loses data). */
async function checkNewestRows(link: Link, n: number): Promise<void> {
  for (const shape of link.shapes.values()) {
    const [rows] = await link.from.knex.raw(`SELECT ${q(shape.pk)} AS k FROM ${qq(link.from.db, shape.name)} ORDER BY ${q(shape.pk)} DESC LIMIT 1 OFFSET ${n}`);
    const lo = (rows as Array<{ k: string }>)[0]?.k;
    const r = await compareChunk(link, shape, lo === undefined ? null : String(lo), null);
    if (!r.equal) throw new SplitError('VERIFY_FAILED', `newest rows of ${shape.name} differ after the final catch-up`);
  }
}

/** Keys handed out between the pre-freeze AUTO_INCREMENT raise and the fence are covered by this margin. */
export const AUTO_INCREMENT_MARGIN = 10_000n;

/**
 * The new live side must never hand out a key the old side already used, even
 * one whose row was deleted at the top of the table (gh-ost #967). Raised with
 * a margin before the freeze (ALTER takes ~100 ms here); re-checked in it.
 */
async function carryAutoIncrement(link: Link, margin: bigint): Promise<void> {
  for (const shape of link.shapes.values()) {
    const [a, b] = await Promise.all([autoIncrementOf(link.from.knex, link.from.db, shape.name), autoIncrementOf(link.to.knex, link.to.db, shape.name)]);
    if (a === null) continue;
    const have = b === null ? 0n : BigInt(b);
    if (margin > 0n ? have < BigInt(a) + margin / 2n : have < BigInt(a)) {
      await link.to.knex.raw(`ALTER TABLE ${qq(link.to.db, shape.name)} AUTO_INCREMENT = ${(BigInt(a) + margin).toString()}`);
    }
  }
}

/** UPDATE of the fence row; retried on deadlock while the watchdog allows. */
async function raiseFence(conn: mysql.Connection, db: string, service: string, watchdog: Watchdog): Promise<void> {
  for (;;) {
    try {
      await conn.query(`UPDATE ${qq(db, fenceTable(service))} SET fenced = 1, changed_at = CURRENT_TIMESTAMP(6) WHERE id = 1`);
      return;
    } catch (err) {
      if ((err as { errno?: number }).errno === 1213 && !watchdog.fired) continue;
      throw err;
    }
  }
}

/** KILLs the fencing statement when the freeze would exceed the abort limit. */
class Watchdog {
  fired = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly dsn: string;
  private readonly conn: mysql.Connection;
  private readonly ms: number;
  constructor(dsn: string, conn: mysql.Connection, ms: number) {
    this.dsn = dsn;
    this.conn = conn;
    this.ms = ms;
  }
  arm(): void {
    this.timer = setTimeout(() => {
      this.fired = true;
      void (async () => {
        const killer = await openConnection(this.dsn);
        try {
          await killer.query(`KILL QUERY ${Number(this.conn.threadId)}`);
        } catch {
          // the statement may have finished meanwhile
        } finally {
          await killer.end().catch(() => killer.destroy());
        }
      })();
    }, this.ms);
  }
  check(step: string): void {
    if (this.fired) throw new SplitError('CUTOVER_ABORTED', `write freeze exceeded the abort limit during ${step}`);
  }
  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
  }
}

export type { Side };
