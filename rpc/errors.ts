/**
 * Domain errors <-> the typed exceptions of common.thrift, by code (never by
 * instanceof across the wire). Server side: an AppError becomes the IDL
 * exception its code belongs to; anything else becomes Unavailable/INTERNAL
 * with no internals. Client side: every failure becomes an AppError carrying
 * the code, the HTTP status from lib/errors.ts, and `exception` (the IDL kind),
 * so an HTTP edge can hand it straight to lib/http.ts's errorHandler.
 */
import thrift from 'thrift';
import commonTypes from '../thrift/gen-nodejs/common_types.js';
import { AppError, ERRORS, isAppError } from '../lib/errors.ts';
import { isFenceTriggerError } from '../lib/seam/errors.ts';

export type ExceptionKind = 'NotFound' | 'InvalidArgument' | 'Conflict' | 'Unauthorized' | 'Unavailable';

/** Codes the client layer itself produces (not in lib/errors.ts's registry; statuses given here). */
export const CLIENT_CODES = {
  DEADLINE_EXCEEDED: { status: 504, message: 'The service did not answer before the deadline' },
  UNAVAILABLE: { status: 503, message: 'The service is unavailable' },
  POOL_EXHAUSTED: { status: 503, message: 'Too many calls waiting for a connection to the service' },
  CLIENT_CLOSED: { status: 503, message: 'The client was closed' },
  PROTOCOL_ERROR: { status: 502, message: 'The service sent an invalid response' },
  NOT_IMPLEMENTED: { status: 501, message: 'The method is not implemented' },
} as const;

const KIND_BY_CODE: Record<string, ExceptionKind> = {
  NOT_FOUND: 'NotFound',
  ROUTE_NOT_FOUND: 'NotFound',
  BAD_REQUEST: 'InvalidArgument',
  VALIDATION_FAILED: 'InvalidArgument',
  PAYLOAD_TOO_LARGE: 'InvalidArgument',
  UNSUPPORTED_MEDIA_TYPE: 'InvalidArgument',
  CONFLICT: 'Conflict',
  UNAUTHENTICATED: 'Unauthorized',
  FORBIDDEN: 'Unauthorized',
};

const STATUS_BY_KIND: Record<ExceptionKind, number> = { NotFound: 404, InvalidArgument: 400, Conflict: 409, Unauthorized: 401, Unavailable: 503 };

/**
 * The IDL exception kind a domain error travels as: by code for the registry's
 * codes, else by HTTP status (a service's own `INVALID_CREDENTIALS` with 401
 * travels as Unauthorized); 5xx and anything else travel as Unavailable.
 */
export function kindForCode(code: string, status?: number): ExceptionKind {
  const byCode = KIND_BY_CODE[code];
  if (byCode) return byCode;
  if (status === 401 || status === 403) return 'Unauthorized';
  if (status === 404) return 'NotFound';
  if (status === 409 || status === 412) return 'Conflict';
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) return 'InvalidArgument';
  return 'Unavailable';
}

type ExceptionArgs = { code: string; message: string; detailsJson?: string; status?: number };
type ExceptionCtor = new (args: ExceptionArgs) => Error & ExceptionArgs;

const CTORS: Record<ExceptionKind, ExceptionCtor> = {
  NotFound: commonTypes.NotFound as unknown as ExceptionCtor,
  InvalidArgument: commonTypes.InvalidArgument as unknown as ExceptionCtor,
  Conflict: commonTypes.Conflict as unknown as ExceptionCtor,
  Unauthorized: commonTypes.Unauthorized as unknown as ExceptionCtor,
  Unavailable: commonTypes.Unavailable as unknown as ExceptionCtor,
};

function safeJson(details: unknown): string | undefined {
  if (details === undefined) return undefined;
  try {
    return JSON.stringify(details);
  } catch {
    return undefined;
  }
}

export interface ToExceptionResult {
  exception: Error;
  /** true when the error was not a domain error (log it; its message was replaced) */
  internal: boolean;
  code: string;
}

/**
 * Server side. 5xx AppErrors keep their code but get the registry's generic
 * message (their message may carry internals); non-AppErrors become INTERNAL.
 */
export function toIdlException(err: unknown, requestId?: string): ToExceptionResult {
  const suffix = requestId ? ` (request id ${requestId})` : '';
  // a split-db write freeze is a condition callers retry on: keep it recognisable across the wire
  if (!isAppError(err) && isFenceTriggerError(err)) err = new AppError('WRITE_FENCED');
  if (isAppError(err)) {
    const kind = kindForCode(err.code, err.status);
    if (kind !== 'Unavailable' || err.status < 500 || err.code in CLIENT_CODES) {
      return { exception: new CTORS[kind]({ code: err.code, message: err.message, detailsJson: safeJson(err.details), status: err.status }), internal: false, code: err.code };
    }
    const spec = (ERRORS as Record<string, { message: string }>)[err.code];
    return { exception: new CTORS.Unavailable({ code: err.code, message: (spec?.message ?? 'The service failed') + suffix, status: err.status }), internal: true, code: err.code };
  }
  return { exception: new CTORS.Unavailable({ code: 'INTERNAL', message: ERRORS.INTERNAL.message + suffix, status: 500 }), internal: true, code: 'INTERNAL' };
}

export type RemoteAppError = AppError & { exception?: ExceptionKind; service?: string; method?: string };

export function clientError(code: keyof typeof CLIENT_CODES, message: string, extra: { service?: string; method?: string; cause?: unknown } = {}): RemoteAppError {
  const err = new AppError(code, message, { status: CLIENT_CODES[code].status, cause: extra.cause }) as RemoteAppError;
  err.exception = 'Unavailable';
  err.service = extra.service;
  err.method = extra.method;
  return err;
}

function kindOf(err: object): ExceptionKind | undefined {
  for (const [kind, ctor] of Object.entries(CTORS) as [ExceptionKind, ExceptionCtor][]) {
    if (err instanceof ctor) return kind;
  }
  return undefined;
}

/** Client side: whatever the generated client rejected with, as an AppError carrying a code. */
export function fromRemoteError(err: unknown, service: string, method: string): RemoteAppError {
  if (typeof err === 'object' && err !== null) {
    const kind = kindOf(err);
    if (kind) {
      const e = err as { code?: string; message?: string; detailsJson?: string; status?: number | null };
      const code = e.code || (kind === 'Unavailable' ? 'UNAVAILABLE' : kind.toUpperCase());
      let details: unknown;
      if (e.detailsJson) {
        try { details = JSON.parse(e.detailsJson); } catch { details = undefined; }
      }
      const status = e.status ?? (ERRORS as Record<string, { status: number }>)[code]?.status
        ?? (CLIENT_CODES as Record<string, { status: number }>)[code]?.status ?? STATUS_BY_KIND[kind];
      const out = new AppError(code, e.message || undefined, { status, details }) as RemoteAppError;
      out.exception = kind;
      out.service = service;
      out.method = method;
      return out;
    }
    if (isAppError(err)) return err as RemoteAppError;
    if (err instanceof thrift.Thrift.TApplicationException) {
      // The server's message may carry internals: keep only the kind.
      const type = (err as { type?: number }).type ?? 0;
      return clientError('PROTOCOL_ERROR', `${service}.${method} failed with a Thrift application exception (type ${type})`, { service, method });
    }
  }
  return clientError('PROTOCOL_ERROR', `${service}.${method} failed: ${typeof err === 'string' ? err : 'unexpected response'}`, { service, method });
}
