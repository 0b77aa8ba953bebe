/** Error codes of the split tool; the CLI prints `split-db: <message>` and exits non-zero. */
export type SplitErrorCode =
  | 'BAD_MANIFEST' | 'BAD_OPTION' | 'UNKNOWN_SERVICE' | 'BLOCKED' | 'WRONG_PHASE' | 'LOCKED'
  | 'INSERT_WARNING' | 'SCHEMA_MISMATCH' | 'CUTOVER_ABORTED' | 'VERIFY_FAILED' | 'UNVERIFIED' | 'NEEDS_CONFIRM' | 'FAULT';

export class SplitError extends Error {
  readonly code: SplitErrorCode;
  readonly details?: unknown;
  constructor(code: SplitErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'SplitError';
    this.code = code;
    this.details = details;
  }
}

export function isSplitError(e: unknown): e is SplitError {
  return typeof e === 'object' && e !== null && (e as SplitError).name === 'SplitError' && typeof (e as SplitError).code === 'string';
}
