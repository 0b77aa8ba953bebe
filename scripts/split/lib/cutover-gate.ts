import type { SplitContext } from './context.ts';
import { SplitError } from './errors.ts';
import { note, type SplitState } from './state.ts';
import { verifyGate } from './verify-gate.ts';

/**
 * The verify gate at the top of cutover: throws UNVERIFIED (exit code 6)
 * unless the last verify is clean and recent; `--force --reason` overrides
 * and is recorded (state history + `forcedCutover`, which the ownership
 * audit's reason repeats). A dry run reports the refusal without recording.
 */
export async function checkVerifyGate(ctx: SplitContext, state: SplitState, opts: { force?: boolean; reason?: string }): Promise<void> {
  const reason = opts.reason?.trim();
  if (opts.force && !reason) throw new SplitError('BAD_OPTION', 'cutover --force needs --reason "<why the verify gate is overridden>"');
  if (reason && reason.length > 400) throw new SplitError('BAD_OPTION', 'cutover --reason: at most 400 characters');
  const gate = verifyGate(state, new Date(), ctx.opts.verifyMaxAgeMs);
  if (gate.ok) {
    if (state.forcedCutover) {
      delete state.forcedCutover;
      if (!ctx.dryRun) await ctx.store.save(state);
    }
    return;
  }
  if (!opts.force) {
    ctx.log.warn({ service: ctx.service.name, gate: gate.reason }, 'cutover refused by the verify gate');
    throw new SplitError('UNVERIFIED', `cutover refused: ${gate.reason} (override: --force --reason "<text>")`);
  }
  ctx.log.warn({ service: ctx.service.name, gate: gate.reason, reason, actor: ctx.actor }, 'verify gate overridden with --force');
  if (ctx.dryRun) return;
  state.forcedCutover = { at: new Date().toISOString(), actor: ctx.actor, reason: reason!, gate: gate.reason };
  note(state, 'cutover forced', `${reason} (by ${ctx.actor}; verify gate: ${gate.reason})`);
  await ctx.store.save(state);
}
