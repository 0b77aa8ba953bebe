import type { OwnershipListener, OwnershipRecord } from './types.ts';

/** Listener set shared by the registry implementations; a throwing listener never breaks the others. */
export class Listeners {
  private readonly set = new Set<OwnershipListener>();
  add(cb: OwnershipListener): () => void {
    this.set.add(cb);
    return () => this.set.delete(cb);
  }
  emit(next: OwnershipRecord, prev: OwnershipRecord | undefined): void {
    for (const cb of this.set) {
      try {
        cb(next, prev);
      } catch {
        // listeners must not break the registry
      }
    }
  }
  clear(): void {
    this.set.clear();
  }
}
