/**
 * Human-readable log lines for `npm start` in a terminal: each child's pino
 * JSON line becomes `[12:00:01.123] WARN (strangler): proxy error {"route":…}`
 * (pino-pretty); anything that is not a JSON object passes unchanged. Not in a
 * terminal, or with LOG_FORMAT=json, the lines stay JSON (for log shippers).
 */
import { prettyFactory } from 'pino-pretty';

export type LogFormat = 'pretty' | 'json';

/** `LOG_FORMAT=json|pretty` wins; otherwise pretty exactly when the output is a terminal. */
export function chooseLogFormat(env: NodeJS.ProcessEnv, isTTY: boolean): LogFormat {
  const v = env.LOG_FORMAT?.trim().toLowerCase();
  if (v === 'json' || v === 'pretty') return v;
  if (v) throw new Error(`LOG_FORMAT: must be "json" or "pretty" (got "${env.LOG_FORMAT}")`);
  return isTTY ? 'pretty' : 'json';
}

/** One line in, one line out (no trailing newline); a line that is not a pino JSON object is returned as it is. */
export function prettyLine(opts: { color: boolean }): (line: string) => string {
  const pretty = prettyFactory({ colorize: opts.color, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
  return (line) => {
    if (!line.startsWith('{')) return line;
    try {
      return pretty(line).replace(/\n+$/, '') || line;
    } catch {
      return line;
    }
  };
}
