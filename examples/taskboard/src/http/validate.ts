import { badRequest } from './errors.ts';

/** Collects field problems and throws one 400 with all of them. */
export class Check {
  private readonly problems: Array<{ field: string; problem: string }> = [];
  private readonly body: Record<string, unknown>;

  constructor(body: unknown) {
    this.body = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    if (!(body && typeof body === 'object' && !Array.isArray(body))) this.problems.push({ field: '(body)', problem: 'must be a JSON object' });
  }

  has(field: string): boolean {
    return this.body[field] !== undefined;
  }

  string(field: string, o: { required?: boolean; min?: number; max: number; nullable?: boolean; pattern?: RegExp; trim?: boolean }): string | null | undefined {
    const v = this.body[field];
    if (v === undefined) {
      if (o.required) this.problems.push({ field, problem: 'is required' });
      return undefined;
    }
    if (v === null && o.nullable) return null;
    if (typeof v !== 'string') {
      this.problems.push({ field, problem: 'must be a string' });
      return undefined;
    }
    const s = o.trim === false ? v : v.trim();
    if (s.length < (o.min ?? 1)) this.problems.push({ field, problem: `must be at least ${o.min ?? 1} characters` });
    else if (s.length > o.max) this.problems.push({ field, problem: `must be at most ${o.max} characters` });
    else if (o.pattern && !o.pattern.test(s)) this.problems.push({ field, problem: 'has an invalid format' });
    else return s;
    return undefined;
  }

  oneOf<T extends string>(field: string, values: readonly T[], o: { required?: boolean } = {}): T | undefined {
    const v = this.body[field];
    if (v === undefined) {
      if (o.required) this.problems.push({ field, problem: 'is required' });
      return undefined;
    }
    if (typeof v !== 'string' || !values.includes(v as T)) {
      this.problems.push({ field, problem: `must be one of ${values.join(', ')}` });
      return undefined;
    }
    return v as T;
  }

  int(field: string, o: { min: number; max: number }): number | undefined {
    const v = this.body[field];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < o.min || v > o.max) {
      this.problems.push({ field, problem: `must be an integer from ${o.min} to ${o.max}` });
      return undefined;
    }
    return v;
  }

  done(): void {
    if (this.problems.length) throw badRequest('validation failed', this.problems);
  }
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const LABEL_ID = /^[0-9a-f]{32}$/i;
export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const DATE = /^\d{4}-\d{2}-\d{2}$/;
export const COLOR = /^#[0-9a-fA-F]{6}$/;

/** A real calendar date (DATE pattern and the day exists). */
export function isRealDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Parses a positive integer query parameter; throws 400 with the field name. */
export function queryInt(value: unknown, field: string, dflt: number, max: number): number {
  if (value === undefined || value === '') return dflt;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw badRequest('validation failed', [{ field, problem: `must be an integer from 1 to ${max}` }]);
  }
  return Number(value);
}
