import { pino, type Logger, type LoggerOptions } from 'pino';
import { maskSecretsInText } from './mask.ts';

export type { Logger };

/**
 * One logger per process; components take `logger.child({ component })`.
 * Errors are logged as `{ err }`; DSN credentials are masked by the serializer.
 */
export function createLogger(name: string, opts: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options: LoggerOptions = {
    name,
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'password', '*.password', 'token', '*.token'], censor: '****' },
    serializers: {
      err: (err: Error & { code?: unknown }) => ({
        type: err?.name,
        message: maskSecretsInText(String(err?.message ?? err)),
        code: err?.code,
        stack: err?.stack ? maskSecretsInText(err.stack) : undefined,
      }),
    },
  };
  return opts.destination ? pino(options, opts.destination as pino.DestinationStream) : pino(options);
}

/** A logger that writes nothing: tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
