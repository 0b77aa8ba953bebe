import { createRequire } from 'node:module';
import { maskSecretsInText } from '../../../lib/mask.ts';
import { isSplitError } from './errors.ts';

/** mysql2 / socket codes and server errors of a connection that was open and is gone (not a refused connect). */
const LOST_CODES = new Set(['PROTOCOL_CONNECTION_LOST', 'ECONNRESET', 'EPIPE', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED']);
const LOST_ERRNOS = new Set([1053, 1927, 2006, 2013]);

/** A connect that failed: the server is not there (any more). Only a loss once the command had reached its servers. */
const REFUSED_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);
const LOST = Symbol('split-db lost connection');

/**
 * The error of a command that had talked to its database servers: a connect
 * refused now means a server it was using went away, not a wrong DSN (the
 * same error at the first connect stays a plain unreachable server).
 */
export function afterReaching(err: unknown): unknown {
  const e = err as { code?: unknown } | null;
  if (e && typeof e === 'object' && typeof e.code === 'string' && REFUSED_CODES.has(e.code)) (e as Record<symbol, boolean>)[LOST] = true;
  return err;
}

/** Whether the error says a database connection the command was using went away (server stopped, killed, failed over). */
export function lostConnection(err: unknown): boolean {
  const e = err as { code?: unknown; errno?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if ((e as Record<symbol, unknown>)[LOST] === true) return true;
  if (typeof e.code === 'string' && LOST_CODES.has(e.code)) return true;
  if (typeof e.errno === 'number' && LOST_ERRNOS.has(e.errno)) return true;
  return typeof e.message === 'string' && /connection is in closed state|socket has been ended by the other party|Connection lost: The server closed the connection/i.test(e.message);
}

/** Appended to the error line of a lost connection: what it may mean and what to do. */
export const LOST_CONNECTION_HINT = 'a database server went away (stopped, restarted or failed over). Every command can be run again once it answers; ' +
  'after a failover name the new primary with --source, and with binlog capture run split-db repoint first';

/** One line, masked: how the CLI reports any error (`split-db: <message>`). */
export function errorLine(err: unknown): string {
  const raw = err instanceof Error ? err.message : String(err);
  const first = maskSecretsInText(raw).split('\n').map((l) => l.trim()).find((l) => l) ?? 'unknown error';
  return `split-db: ${first}${lostConnection(err) ? ` — ${LOST_CONNECTION_HINT}` : ''}`;
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
