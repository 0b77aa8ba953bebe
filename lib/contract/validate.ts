import type { z } from 'zod';
import { AppError } from '../errors.ts';
import { fieldErrors } from './error.ts';

export type InputPart = 'body' | 'query' | 'params';

/** Parses one part of the request; failure → 400 VALIDATION_FAILED with one detail per bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, part: InputPart): z.output<S> {
  const r = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (r.success) return r.data;
  throw new AppError('VALIDATION_FAILED', undefined, { details: fieldErrors(r.error.issues, part) });
}
