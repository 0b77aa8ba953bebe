/**
 * Deadlines that all share one duration (a route's shadow `timeoutMs`): kept in a list in the order they were set,
 * which is also the order they fall due, with one unref'd timer for the earliest — instead of a Timeout object set
 * and cleared per item. An item leaves the list in O(1) when it settles first (intrusive links), so nothing
 * finished stays reachable from here.
 */
export interface DeadlineItem {
  /** performance.now() at which it falls due (set by `add`). */
  dueAt: number;
  prevDue: DeadlineItem | null;
  nextDue: DeadlineItem | null;
  /** Listed (between `add` and `remove` or falling due). */
  listed: boolean;
  /** Called once when it falls due while still listed (it has been removed by then). */
  onDeadline(): void;
}

export class DeadlineList {
  readonly ms: number;
  private head: DeadlineItem | null = null;
  private tail: DeadlineItem | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly fireNow = () => this.fire();

  constructor(ms: number) {
    this.ms = ms;
  }

  add(d: DeadlineItem): void {
    d.dueAt = performance.now() + this.ms;
    d.listed = true;
    d.nextDue = null;
    d.prevDue = this.tail;
    if (this.tail !== null) this.tail.nextDue = d;
    else this.head = d;
    this.tail = d;
    if (this.timer === null) this.arm(this.ms);
  }

  remove(d: DeadlineItem): void {
    if (!d.listed) return;
    d.listed = false;
    const p = d.prevDue;
    const n = d.nextDue;
    if (p !== null) p.nextDue = n;
    else this.head = n;
    if (n !== null) n.prevDue = p;
    else this.tail = p;
    d.prevDue = null;
    d.nextDue = null;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(this.fireNow, Math.max(1, Math.ceil(ms)));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    const now = performance.now();
    let due: DeadlineItem | null = null;
    let last: DeadlineItem | null = null;
    for (let d = this.head; d !== null && d.dueAt <= now; d = this.head) {
      this.remove(d);
      if (last === null) due = d;
      else last.nextDue = d; // a private chain of the due ones (their links are free once removed)
      last = d;
    }
    if (this.head !== null) this.arm(this.head.dueAt - now);
    for (let d = due; d !== null;) {
      const next: DeadlineItem | null = d.nextDue;
      d.nextDue = null;
      d.onDeadline();
      d = next;
    }
  }
}

const lists = new Map<number, DeadlineList>();

/** The shared list for deadlines `ms` from now (one per distinct duration, kept for the process's life). */
export function deadlineList(ms: number): DeadlineList {
  let l = lists.get(ms);
  if (l === undefined) {
    l = new DeadlineList(ms);
    lists.set(ms, l);
  }
  return l;
}
