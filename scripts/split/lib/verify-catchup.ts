/**
 * Verify's catch-up, shared by every chunk in flight and the CHECKSUM TABLE
 * guard. Drains never overlap (one runs at a time); callers that arrive while
 * none has started yet share the next one ("one catch-up for all"); a drain
 * always starts after the call that asked for it, so it applies everything
 * committed before that caller's snapshot.
 *
 * Every chunk watches the keys applied while it is open (`watch`): each batch's
 * keys go to every watcher registered when the batch was reported. A chunk
 * registers before it opens its source snapshot, so any change applied to the
 * target after that moment is in its set P (changes applied before were read
 * from the changelog earlier, so they are in its snapshot already).
 *
 * `catchUp(then)` runs `then` right after the drain, before any other drain
 * starts — the quiet window: the target does not change while `then` runs,
 * and a source change committed since the drain read the changelog is still
 * pending there. A chunk opens its target snapshot there, so the target it
 * reads is the caught-up one plus nothing that is not in P; the CHECKSUM
 * TABLE guard (table-checksum.ts) and the re-check of suspect keys
 * (verify-recheck.ts) look at current rows and at the changelog there, so no
 * catch-up can apply and consume a change between the two looks.
 *
 * Binlog capture writes a change's changelog row after the change committed
 * (the reader's lag): every drain first waits until the reader passed the
 * source's position (`captured`), so it still applies everything committed
 * before its callers' snapshots, and in the quiet window a look at the
 * changelog that must see every change committed before it waits for that
 * too (`QuietWindow.captured`).
 */
export interface QuietWindow {
  /**
   * Resolves once every change the source committed before the call is in the
   * changelog: at once with capture triggers (a change and its changelog row
   * commit together); with binlog capture once the reader passed the source's
   * binlog position taken at the call (capture-mode.ts catchUp).
   */
  captured(): Promise<void>;
}
export type QuietCatchUp = <T>(then: (w: QuietWindow) => Promise<T>) => Promise<T>;
export type Captured = () => Promise<void>;
export type AppliedKeys = Map<string, Iterable<string>>;
export type DrainOnce = (report: (keys: AppliedKeys) => void) => Promise<number>;

export interface Watch {
  /** Keys applied since `watch()`, per table. */
  keys: Map<string, Set<string>>;
  stop(): void;
}

interface Waiter {
  then?: (w: QuietWindow) => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export class CatchUpHub {
  private chain: Promise<void> = Promise.resolve();
  /** Callers of the next drain, which has not started yet. */
  private queued: Waiter[] | null = null;
  private readonly watchers = new Set<Map<string, Set<string>>>();
  /** Drains run so far (tests, and the shared-catch-up claim). */
  drains = 0;

  private readonly drainOnce: DrainOnce;
  private readonly window: QuietWindow;

  /** `captured`: see QuietWindow (default: triggers, nothing to wait for). */
  constructor(drainOnce: DrainOnce, captured: Captured = async () => {}) {
    this.drainOnce = drainOnce;
    this.window = { captured };
  }

  watch(): Watch {
    const keys = new Map<string, Set<string>>();
    this.watchers.add(keys);
    return { keys, stop: () => this.watchers.delete(keys) };
  }

  catchUp<T = number>(then?: (w: QuietWindow) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const w: Waiter = { then, resolve: resolve as (v: unknown) => void, reject };
      if (this.queued) {
        this.queued.push(w);
        return;
      }
      const batch = [w];
      this.queued = batch;
      this.chain = this.chain.then(() => this.run(batch));
    });
  }

  private async run(batch: Waiter[]): Promise<void> {
    this.queued = null; // from here on, callers wait for the drain after this one
    let applied: number;
    try {
      this.drains++;
      await this.window.captured();
      applied = await this.drainOnce((keys) => this.report(keys));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const w of batch) {
      try {
        w.resolve(w.then ? await w.then(this.window) : applied);
      } catch (err) {
        w.reject(err);
      }
    }
  }

  private report(keys: AppliedKeys): void {
    for (const watcher of this.watchers) {
      for (const [t, ks] of keys) {
        let set = watcher.get(t);
        if (!set) watcher.set(t, (set = new Set()));
        for (const k of ks) set.add(k);
      }
    }
  }
}
