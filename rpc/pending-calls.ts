/**
 * The calls one connection has in flight, by seqid: a slot table indexed by
 * `seqid & mask`, a slot cleared the moment its call settles.
 *
 * Why not a `Map<seqid, call>` (what this replaced): a Map that churns (one
 * add and one delete per call, a handful live) rehashes every few calls, and
 * V8 allocates the new hash table in old space once the Map's table is there,
 * leaving the previous table behind as garbage that still points at the calls
 * that were live when it was replaced (and at the next table). The scavenger
 * treats those old-to-young pointers as roots, so a settled call's promise —
 * and through it the decoded reply — stayed alive until the next full GC.
 * Under load at concurrency 32 that kept 70-90 % of the client's young
 * generation alive at every scavenge: the young generation grew to 64 MB and
 * each scavenge copied tens of MB (20-350 ms pauses; thrift/README.md, "tail
 * latency"). The slot array is allocated once per size (it only grows) and
 * holds nothing after a call settles.
 */
export interface PendingCall {
  readonly seqid: number;
}

const MAX_SEQID = 0x7fffffff;

export class PendingCalls<C extends PendingCall> {
  private slots: (C | undefined)[];
  private mask: number;
  private last = 0;
  /** calls in flight */
  size = 0;

  constructor(initialSlots = 16) {
    let n = 1;
    while (n < initialSlots) n <<= 1;
    this.slots = new Array<C | undefined>(n).fill(undefined);
    this.mask = n - 1;
  }

  /**
   * Picks the next seqid (increasing, wrapping at 2^31-1, skipping ones whose
   * slot is still taken), stores the call `make(seqid)` returns, and returns it.
   * The table doubles when half full, so a free slot is always near.
   */
  add(make: (seqid: number) => C): C {
    if ((this.size + 1) * 2 > this.slots.length) this.grow();
    let seqid = this.last;
    do {
      seqid = seqid >= MAX_SEQID ? 1 : seqid + 1;
    } while (this.slots[seqid & this.mask] !== undefined);
    this.last = seqid;
    const call = make(seqid);
    this.slots[seqid & this.mask] = call;
    this.size++;
    return call;
  }

  /** The call waiting for `seqid`, if it is still in flight (a late reply to a timed-out call finds none). */
  get(seqid: number): C | undefined {
    const c = this.slots[seqid & this.mask];
    return c !== undefined && c.seqid === seqid ? c : undefined;
  }

  /** Forgets a call; false when it had already settled. */
  delete(call: C): boolean {
    const i = call.seqid & this.mask;
    if (this.slots[i] !== call) return false;
    this.slots[i] = undefined;
    this.size--;
    return true;
  }

  /** Snapshot of the calls in flight (for deadline sweeps and closing; not on the per-call path). */
  list(): C[] {
    const out: C[] = [];
    if (this.size === 0) return out;
    for (const c of this.slots) if (c !== undefined) out.push(c);
    return out;
  }

  private grow(): void {
    const next = new Array<C | undefined>(this.slots.length * 2).fill(undefined);
    const mask = next.length - 1;
    // distinct slots under the smaller mask stay distinct under the larger one
    for (const c of this.slots) if (c !== undefined) next[c.seqid & mask] = c;
    this.slots = next;
    this.mask = mask;
  }
}
