import { createRequire } from 'node:module';
import { maskSecretsInText } from '../../../lib/mask.ts';
import { isSplitError } from './errors.ts';

/** One line, masked: how the CLI reports any error (`split-db: <message>`). */
export function errorLine(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const first = maskSecretsInText(raw).split('\n').map((l) => l.trim()).find((l) => l) ?? 'unknown error';
  return `split-db: ${first}`;
}

/** The error as the JSON object `--json` prints on stdout: `{ error: { code, message, findings? } }`. */
export function errorJson(err: unknown): { error: { code: string; message: string; findings?: unknown } } {
  const message = errorLine(err).slice('split-db: '.length);
  if (isSplitError(err)) {
    const findings = (err.details as { findings?: unknown } | undefined)?.findings;
    return { error: { code: err.code, message, ...(findings ? { findings } : {}) } };
  }
  const code = (err as { code?: unknown })?.code;
  return { error: { code: typeof code === 'string' ? code : 'ERROR', message } };
}

interface KnexLoggerProto {
  _log(message: unknown, userFn: unknown, colorFn?: unknown): void;
}

/**
 * knex logs some failures itself before rejecting (e.g. "Acquire connection
 * error: <stack>" for a refused login), and with no `log` option it writes them
 * with console.log — a stack on stdout ahead of the CLI's one-line error. Every
 * knex instance of the process (also those lib/db.ts creates for CREATE/DROP
 * DATABASE) goes through this one Logger class, so the CLI sends its messages
 * to `sink` (the tool's logger, at debug level) instead.
 */
export function routeKnexLogs(sink: (message: string) => void): void {
  const require = createRequire(import.meta.url);
  const Logger = require('knex/lib/logger.js') as { prototype: KnexLoggerProto };
  const original = Logger.prototype._log;
  Logger.prototype._log = function (message: unknown, userFn: unknown, colorFn?: unknown) {
    if (typeof userFn === 'function') return original.call(this, message, userFn, colorFn);
    sink(maskSecretsInText(String(message)).split('\n')[0]);
  };
}
