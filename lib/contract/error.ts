import { errorBody } from '../errors.ts';

/**
 * Error body of every legacy endpoint: `{ error: { code, message, requestId } }`,
 * plus `details` for VALIDATION_FAILED: one entry per bad field, `field` a
 * dotted path into the input (`items.3.price`, `query.size`).
 */
export interface FieldError { field: string; message: string }

export function error(code: string, message: string, requestId: string, details?: FieldError[]) {
  return errorBody(code, message, requestId, details);
}

/** Turns zod-style issues into field errors, prefixed with where the input came from. */
export function fieldErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, prefix?: string): FieldError[] {
  return issues.map((i) => {
    const path = i.path.map((p) => String(p)).join('.');
    return { field: [prefix, path].filter(Boolean).join('.') || '(root)', message: i.message };
  });
}
