/**
 * Errors of the seam library. Handlers map on `code` (it survives a process
 * boundary), never on `instanceof`.
 */
export const SEAM_UNAVAILABLE = 'SERVICE_MOVING';
export const SEAM_UNKNOWN_DOMAIN = 'SEAM_UNKNOWN_DOMAIN';
export const SEAM_INVALID_OPTIONS = 'SEAM_INVALID_OPTIONS';
/** The code a fenced write carries across a process boundary (Thrift: rpc/errors.ts). */
export const WRITE_FENCED = 'WRITE_FENCED';
export const ER_NO_SUCH_TABLE = 1146;

/** Retries ran out while the domain was moving: answer 503 with Retry-After, never 500. */
export class SeamUnavailableError extends Error {
  readonly code = SEAM_UNAVAILABLE;
  readonly status = 503;
  readonly domain: string;
  readonly op: 'read' | 'write';
  readonly attempts: number;
  readonly retryAfterSeconds: number;
  constructor(domain: string, op: 'read' | 'write', attempts: number, waitedMs: number, retryAfterSeconds: number, cause: unknown) {
    super(`${domain} is moving to another database; ${op} not possible after ${attempts} attempts in ${waitedMs} ms, try again shortly`, { cause });
    this.name = 'SeamUnavailableError';
    this.domain = domain;
    this.op = op;
    this.attempts = attempts;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export function isSeamUnavailable(err: unknown): err is SeamUnavailableError {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === SEAM_UNAVAILABLE
    && typeof (err as { retryAfterSeconds?: unknown }).retryAfterSeconds === 'number';
}

export class SeamError extends Error {
  readonly code: typeof SEAM_UNKNOWN_DOMAIN | typeof SEAM_INVALID_OPTIONS;
  constructor(code: SeamError['code'], message: string) {
    super(message);
    this.name = 'SeamError';
    this.code = code;
  }
}

/**
 * True for the error a fenced copy gives: split-db's write-fence triggers
 * (SQLSTATE 45000, message starting `split-db:`), a table renamed away by the
 * fence (ER_NO_SUCH_TABLE 1146), or WRITE_FENCED from a service. Follows
 * `cause` chains (knex/mysql2 and wrappers nest them). Pure.
 */
export function isFenceError(err: unknown): boolean {
  return fenceMatch(err, true, 0);
}

/**
 * The fence's triggers only (SQLSTATE 45000 `split-db:`, or WRITE_FENCED from a service), not a missing table:
 * for code that cannot tell which domain a failing statement belonged to (a whole request, see requests.ts), a
 * missing table is an ordinary bug and must stay one. Pure.
 */
export function isFenceTriggerError(err: unknown): boolean {
  return fenceMatch(err, false, 0);
}

function fenceMatch(err: unknown, missingTable: boolean, depth: number): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const e = err as { code?: unknown; errno?: unknown; sqlState?: unknown; message?: unknown; sqlMessage?: unknown; cause?: unknown };
  if (e.code === WRITE_FENCED) return true;
  const text = typeof e.sqlMessage === 'string' ? e.sqlMessage : typeof e.message === 'string' ? e.message : '';
  if (e.sqlState === '45000' && text.includes('split-db:')) return true;
  if (missingTable && (e.errno === ER_NO_SUCH_TABLE || e.code === 'ER_NO_SUCH_TABLE')) return true;
  return e.cause !== undefined && e.cause !== err ? fenceMatch(e.cause, missingTable, depth + 1) : false;
}

/**
 * What may be logged of a fence error: its codes and the server's message (the trigger's text or the missing
 * table's name), never the statement — knex puts the SQL with its bound values in `message`.
 */
export function describeFence(err: unknown): { code?: unknown; errno?: unknown; sqlState?: unknown; sqlMessage?: string } {
  let e = err as { code?: unknown; errno?: unknown; sqlState?: unknown; sqlMessage?: unknown; cause?: unknown } | null;
  for (let i = 0; e && typeof e === 'object' && i < 5; i++) {
    if (e.sqlState !== undefined || e.errno !== undefined || e.code === WRITE_FENCED) {
      return { code: e.code, errno: e.errno, sqlState: e.sqlState, sqlMessage: typeof e.sqlMessage === 'string' ? e.sqlMessage.slice(0, 300) : undefined };
    }
    e = e.cause as typeof e;
  }
  return {};
}
