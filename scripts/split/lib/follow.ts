import { drain, type ApplyResult } from './applier.ts';
import { sleep } from './context.ts';
import type { Faults } from './faults.ts';
import type { Link } from './link.ts';

/** Pause of the follow loop when the changelog was empty. */
export const FOLLOW_IDLE_MS = 100;
/** The follow loop's state save (the `applied` counters status shows) at most this often. */
export const FOLLOW_SAVE_GAP_MS = 1000;

export interface FollowOptions {
  limit: number;
  faults: Faults;
  signal: AbortSignal;
  /** Keep applying until `signal` aborts; otherwise one drain. */
  follow: boolean;
  /**
   * Least time between the starts of two drains (split-db --apply-lag-ms): the
   * changes of that window wait for it and are applied together, in fewer and
   * larger target transactions. 0: drain again as soon as a drain applied anything.
   */
  lagMs: number;
  onBatch?: (r: ApplyResult, startedAt: number) => Promise<void> | void;
  /** Saves what onBatch counted: after a batch at most every saveGapMs (FOLLOW_SAVE_GAP_MS), and once at the end. */
  save?: () => Promise<void>;
  saveGapMs?: number;
  /** The binlog reader, when it feeds the changelog: its failure ends the loop. */
  pump?: { error: Error | null } | null;
  /**
   * Run between drains at most every checkGapMs (split-db's schemaCheckMs): `hold` keeps the loop from draining until a
   * later check releases it (a moved table altered on one side only: schema-guard.ts; the changes wait in the
   * changelog), `link` is the link to go on with (altered alike on both sides: the new columns).
   */
  check?: () => Promise<{ hold: boolean; link: Link | null }>;
  checkGapMs?: number;
}

/**
 * The applier's steady state (`split-db start --follow`, and the benchmark
 * split-appcost, which runs this same loop): drain the changelog, wait out
 * the rest of the lag budget (at least FOLLOW_IDLE_MS when it was empty),
 * again. Each batch is still one transaction that consumes exactly the
 * changelog rows it applied (applier.ts): the lag only decides when a drain
 * starts, so a kill anywhere leaves the changelog to be applied again.
 */
export async function followApply(link: Link, o: FollowOptions): Promise<void> {
  const gap = o.saveGapMs ?? FOLLOW_SAVE_GAP_MS;
  let savedAt = Date.now();
  let checkedAt = Date.now();
  let held = false;
  let unsaved = false;
  const onBatch = async (r: ApplyResult, startedAt: number) => {
    await o.onBatch?.(r, startedAt);
    unsaved = true;
    if (o.save && Date.now() - savedAt >= gap) {
      await o.save();
      savedAt = Date.now();
      unsaved = false;
    }
  };
  let failed = false;
  try {
    do {
      const t0 = Date.now();
      const n = held ? 0 : await drain(link, o.limit, o.faults, { signal: o.signal, onBatch });
      if (!o.follow || o.signal.aborted) break;
      if (o.pump?.error) throw o.pump.error;
      if (o.check && Date.now() - checkedAt >= (o.checkGapMs ?? 0)) {
        const c = await o.check();
        held = c.hold;
        link = c.link ?? link;
        checkedAt = Date.now();
      }
      const wait = held ? Math.max(FOLLOW_IDLE_MS, (o.checkGapMs ?? 0) - (Date.now() - checkedAt)) : Math.max(n === 0 ? FOLLOW_IDLE_MS : 0, o.lagMs - (Date.now() - t0));
      if (wait > 0) await sleep(wait, o.signal);
    } while (!o.signal.aborted);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    // after a failure (the source went away, say) the save may fail the same way: the loop's error is the one to report
    if (unsaved && o.save) await (failed ? o.save().catch(() => undefined) : o.save());
  }
}
