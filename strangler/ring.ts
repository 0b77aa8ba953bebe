/** A bounded ring buffer: keeps the last `capacity` items, oldest dropped first. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;
  readonly capacity: number;

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
    this.items = new Array(this.capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Newest first. */
  list(limit = this.count): T[] {
    const out: T[] = [];
    for (let i = 0; i < Math.min(limit, this.count); i++) out.push(this.items[(this.next - 1 - i + this.capacity * 2) % this.capacity] as T);
    return out;
  }

  get size(): number {
    return this.count;
  }
}
