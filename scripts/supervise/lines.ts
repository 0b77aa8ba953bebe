/**
 * Prefixes every line a child writes with its name, buffering partial lines
 * across chunks (a chunk can end mid-line, or mid-UTF-8 character).
 */
import { StringDecoder } from 'node:string_decoder';

const COLORS = [36, 33, 35, 32, 34, 91, 96, 93, 95, 92];

export function colorFor(index: number): (s: string) => string {
  const code = COLORS[index % COLORS.length];
  return (s) => `\u001b[${code}m${s}\u001b[0m`;
}

export function formatPrefix(name: string, width: number, color?: (s: string) => string): string {
  const p = `${name.padEnd(width)} |`;
  return color ? color(p) : p;
}

export class LinePrefixer {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private readonly prefix: string;
  private readonly write: (text: string) => void;
  private readonly format: (line: string) => string;

  /** `format` rewrites each line before it is prefixed (e.g. pino JSON → human-readable); it may return several lines. */
  constructor(prefix: string, write: (text: string) => void, format: (line: string) => string = (l) => l) {
    this.prefix = prefix;
    this.write = write;
    this.format = format;
  }

  private prefixed(line: string): string {
    return this.format(line).split('\n').map((l) => `${this.prefix} ${l}\n`).join('');
  }

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (lines.length) this.write(lines.map((l) => this.prefixed(l.replace(/\r$/, ''))).join(''));
  }

  /** Writes a trailing line without newline, if any. */
  end(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest) this.write(this.prefixed(rest));
  }
}
