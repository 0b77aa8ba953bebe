/**
 * The toolkit CLIs' shared rules for commander programs (strangler, split-db):
 * every error is one line `<tool>: <message>` on stderr — commander's own
 * parser errors too (missing argument, unknown option), exit code 2 — and,
 * when the command line has `--json`, also `{"error":{"code","message"}}` on
 * stdout; every subcommand's help ends with its examples.
 */
import type { Command } from 'commander';

/** The "Examples:" block a command's help ends with. */
export function examplesText(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** commander's error text ("error: unknown command 'rout'\n(Did you mean route?)") as one line without "error: ". */
export function commanderMessage(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l);
  return (lines.join(' ') || 'usage error').replace(/^error:\s*/, '');
}

/** `{ error: { code: 'USAGE', message } }`: what `--json` prints on stdout for a parser error. */
export function usageErrorJson(message: string): { error: { code: string; message: string } } {
  return { error: { code: 'USAGE', message } };
}

export interface CliConventions {
  tool: string;
  /** The raw command line: `--json` anywhere in it makes parser errors JSON too (opts are not parsed yet then). */
  argv: string[];
  /** Appended to a parser error's line, e.g. "(split-db --help for usage)". */
  hint?: string;
  stdout?: (s: string) => void;
  stderr?: (s: string) => void;
}

/**
 * Applies the rules to a program and every subcommand (commander copies settings only to commands created after
 * they are set, so this walks the finished tree): exitOverride (the caller maps CommanderError to exit 2) and
 * one-line parser errors, JSON on stdout under `--json`.
 */
export function applyCliConventions(program: Command, c: CliConventions): void {
  const out = c.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = c.stderr ?? ((s: string) => void process.stderr.write(s));
  const json = c.argv.includes('--json');
  const outputError = (text: string) => {
    const message = commanderMessage(text);
    if (json) out(`${JSON.stringify(usageErrorJson(message), null, 2)}\n`);
    err(`${c.tool}: ${message}${c.hint ? ` ${c.hint}` : ''}\n`);
  };
  const walk = (cmd: Command) => {
    cmd.exitOverride();
    cmd.showHelpAfterError(false);
    cmd.configureOutput({ outputError, writeErr: err, writeOut: out });
    for (const sub of cmd.commands) walk(sub);
  };
  walk(program);
}
