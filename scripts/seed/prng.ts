/**
 * Seeded pseudo-random numbers for the data generator. Pure and tiny:
 * `hash32` mixes (seed, stream, index) into a 32-bit state and `mulberry32`
 * turns it into a sequence, so row i of any table can be generated on its own,
 * in any order or batch size, and always comes out the same.
 */

/** murmur3's 32-bit finaliser over a few integers: a well-mixed 32-bit hash. */
export function hash32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // fold in both 32-bit halves so indexes beyond 2^32 still mix
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= Math.floor(p / 0x100000000) >>> 0;
    h ^= h >>> 16;
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A stable 32-bit id for a stream name (table or purpose). */
export function streamId(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

export class Rng {
  private state: number;
  constructor(state: number) {
    this.state = state >>> 0;
  }

  /** mulberry32: uniform float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  /** Index in [0, n) skewed towards 0 (power law); exponent > 1 = more skew. */
  skewed(n: number, exponent: number): number {
    return Math.min(n - 1, Math.floor(n * Math.pow(this.next(), exponent)));
  }
}

/** The generator for row `index` of `stream` under `seed`. */
export function rowRng(seed: number, stream: number, index: number): Rng {
  return new Rng(hash32(seed, stream, index));
}

export function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** A multiplier coprime with n near n·φ, so i ↦ (i·m + o) mod n is a bijection that scatters neighbours. */
export function coprimeNear(n: number, target: number): number {
  if (n <= 2) return 1;
  let m = Math.max(1, Math.floor(target) % n);
  while (gcd(m, n) !== 1) m = (m + 1) % n || 1;
  return m;
}
