/** Keeps every response the simulated clients saw, stamped with the demo phase in force. */
import type { Sample } from './types.ts';

export class Recorder {
  phase = 'setup';
  readonly samples: Sample[] = [];
  private readonly listeners = new Set<(s: Sample) => void>();

  setPhase(phase: string): void {
    this.phase = phase;
  }

  record(s: Sample): void {
    this.samples.push(s);
    for (const l of this.listeners) l(s);
  }

  onSample(l: (s: Sample) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  since(index: number): Sample[] {
    return this.samples.slice(index);
  }

  errors(): Sample[] {
    return this.samples.filter((s) => s.error);
  }
}
