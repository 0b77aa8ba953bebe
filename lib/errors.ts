/**
 * Error registry shared by every HTTP surface (fastify lib/errors.js style):
 * each error has a stable `code`, an HTTP `status` and a default message.
 * Handlers map on `code`, never on `instanceof`, so errors survive process
 * boundaries (Thrift, queues) by code.
 */
export interface ErrorSpec {
  status: number;
  message: string;
}

export const ERRORS = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  VALIDATION_FAILED: { status: 400, message: 'The request failed validation' },
  UNAUTHENTICATED: { status: 401, message: 'Authentication is required' },
  FORBIDDEN: { status: 403, message: 'You are not allowed to do this' },
  NOT_FOUND: { status: 404, message: 'The resource was not found' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such endpoint' },
  CONFLICT: { status: 409, message: 'The resource already exists or changed' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be JSON' },
  TOO_MANY_REQUESTS: { status: 429, message: 'Too many requests' },
  INTERNAL: { status: 500, message: 'Internal server error' },
  BAD_GATEWAY: { status: 502, message: 'The upstream service failed' },
  SERVICE_UNAVAILABLE: { status: 503, message: 'The service is unavailable' },
  WRITE_FENCED: { status: 503, message: 'The data is being moved; try again in a moment' },
  GATEWAY_TIMEOUT: { status: 504, message: 'The upstream service did not answer in time' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;
  constructor(code: ErrorCode | string, message?: string, opts: { status?: number; details?: unknown; cause?: unknown } = {}) {
    const spec: ErrorSpec | undefined = (ERRORS as Record<string, ErrorSpec>)[code];
    super(message ?? spec?.message ?? code, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = opts.status ?? spec?.status ?? 500;
    this.details = opts.details;
  }
}

export function isAppError(err: unknown): err is AppError {
  return typeof err === 'object' && err !== null && typeof (err as AppError).code === 'string' &&
    typeof (err as AppError).status === 'number' && (err as Error).name === 'AppError';
}

export function errorBody(code: string, message: string, requestId: string, details?: unknown) {
  return { error: details === undefined ? { code, message, requestId } : { code, message, requestId, details } };
}
