/**
 * The capture mode of a split (binlog.ts or triggers), chosen once by the
 * first start and kept in the state, and the pieces start and cutover call
 * for it: install capture, run the binlog reader, catch it up.
 */
import { BinlogPump, chooseCapture, initCapturePos, masterPos, type CaptureChoice } from './binlog.ts';
import { formatPos } from './binlog-keys.ts';
import { ensureMachinery, startCapture } from './capture.ts';
import type { SplitContext } from './context.ts';
import { ddlPolicy } from './ddl.ts';
import { SplitError } from './errors.ts';
import { note, type SplitState } from './state.ts';
import type { TableShape } from './sql.ts';

/** The split's capture mode: the state's, else chosen now (and saved). */
export async function captureMode(ctx: SplitContext, state: SplitState, shapes: Map<string, TableShape>): Promise<CaptureChoice> {
  if (state.capture) return state.capture;
  // a split started by a version without binlog capture keeps its triggers
  if (state.history.some((h) => h.event === 'capture on')) return (state.capture = { mode: 'triggers', why: 'capture was started with triggers' });
  let choice: CaptureChoice;
  try {
    choice = await chooseCapture(ctx.source, shapes, ctx.opts.capture);
  } catch (err) {
    ctx.log.warn({ err: (err as Error).message }, 'start refused: --capture binlog is not possible');
    throw new SplitError('BLOCKED', (err as Error).message);
  }
  if (choice.mode === 'triggers' && ctx.opts.capture === 'auto') ctx.log.warn({ why: choice.why }, 'capture: using triggers');
  state.capture = choice;
  note(state, `capture mode ${choice.mode}`, choice.why);
  await ctx.store.save(state);
  return choice;
}

/**
 * Turns capture on before the copy's first chunk. Binlog mode: the start
 * position is saved first (binlog.ts initCapturePos), then the TRUNCATE
 * guards and the cascade capture triggers; the fence-only row triggers wait
 * for the cutover (`fenceTriggers`), so until then the application's writes
 * to the moved tables run no trigger.
 */
export async function beginCapture(ctx: SplitContext, state: SplitState, shapes: Map<string, TableShape>): Promise<void> {
  const mode = await captureMode(ctx, state, shapes);
  if (mode.mode === 'binlog') {
    await ensureMachinery(ctx.source, ctx.service.name, false);
    const p = await initCapturePos(ctx.source, ctx.service.name);
    ctx.log.info({ from: formatPos(p) }, 'capture: reading the binlog');
    await startCapture(ctx.source, ctx.service.name, shapes, false, false, ddlPolicy(ctx), 'deferred');
  } else {
    await startCapture(ctx.source, ctx.service.name, shapes, false, false, ddlPolicy(ctx));
  }
}

/**
 * Binlog mode, cutover: the fence-only row triggers on the source, before the
 * fence is raised (idempotent: a split started by a version that installed
 * them at start keeps them). Their DDL waits for each table's metadata lock,
 * bounded and retried by lib/ddl.ts, outside the write freeze.
 */
export async function fenceTriggers(ctx: SplitContext, state: SplitState, shapes: Map<string, TableShape>): Promise<void> {
  if (state.capture?.mode !== 'binlog') return;
  await startCapture(ctx.source, ctx.service.name, shapes, false, false, ddlPolicy(ctx), true);
}

/** A running binlog reader for the forward direction, or null when the split captures with triggers. */
export async function openPump(ctx: SplitContext, state: SplitState, shapes: Map<string, TableShape>): Promise<BinlogPump | null> {
  if (state.capture?.mode !== 'binlog' || state.phase === 'cutover') return null;
  const pump = new BinlogPump(ctx.source, ctx.service.name, shapes, ctx.log);
  await pump.start();
  return pump;
}

/** Default bound of a catch-up outside the freeze. */
export const CATCH_UP_MS = 120_000;

/** Waits until the reader has logged every change committed before now. */
export async function catchUp(ctx: SplitContext, pump: BinlogPump | null, timeoutMs = CATCH_UP_MS): Promise<void> {
  if (!pump) return;
  await pump.waitFor(await masterPos(ctx.source), timeoutMs, ctx.signal);
}
