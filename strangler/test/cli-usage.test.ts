import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../bin/strangler.ts', import.meta.url));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, STRANGLER_ADMIN_URL: 'http://127.0.0.1:9' } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

const SUBCOMMANDS = [
  ['routes'], ['route'], ['route', 'show'], ['route', 'set'], ['route', 'put'], ['route', 'remove'],
  ['upstream'], ['upstream', 'list'], ['upstream', 'put'], ['upstream', 'remove'], ['apply'], ['stats'], ['stats', 'reset'],
  ['rollback'], ['diffs'], ['noise'], ['audit'], ['status'],
];

describe('strangler CLI: help and usage errors', function () {
  this.timeout(60_000);

  it('every subcommand\'s --help has examples of itself and shows the global options with their defaults', async () => {
    const helps = await Promise.all(SUBCOMMANDS.map((c) => run([...c, '--help'])));
    helps.forEach((h, i) => {
      const name = SUBCOMMANDS[i].join(' ');
      expect(h.code, name).to.equal(0);
      expect(h.stdout, name).to.include('Examples:\n');
      expect(h.stdout, name).to.include(`$ strangler ${name}`);
      expect(h.stdout, name).to.match(/Global Options:[\s\S]*--json[\s\S]*--url <url>|Global Options:[\s\S]*--url <url>[\s\S]*--json/);
      expect(h.stdout, name).to.match(/default:\s+http:\/\/127\.0\.0\.1:8081/);
    });
    const top = await run(['--help']);
    expect(top.stdout).to.match(/Exit codes: 0 ok, 1 error .*, 2 usage/);
  });

  it('parser errors are one line `strangler: …`, exit 2; with --json also {"error":{"code":"USAGE",…}} on stdout', async () => {
    const missing = await run(['diffs']);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.equal("strangler: missing required argument 'id'\n");
    expect(missing.stdout).to.equal('');
    const unknown = await run(['route', 'set', 'x', '--mode', 'shadow', '--bogus']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr.trimEnd().split('\n')).to.have.length(1);
    const typo = await run(['rout']);
    expect(typo.stderr).to.equal("strangler: unknown command 'rout' (Did you mean route?)\n");
    const json = await run(['diffs', '--json']);
    expect(json.code).to.equal(2);
    expect(JSON.parse(json.stdout)).to.deep.equal({ error: { code: 'USAGE', message: "missing required argument 'id'" } });
    const badPercent = await run(['route', 'set', 'x', '--mode', 'canary', '--percent', '200', '--json']);
    expect(badPercent.code).to.equal(2);
    expect(JSON.parse(badPercent.stdout).error.code).to.equal('USAGE');
  });

  it('an unreachable admin API is one line, exit 1, and JSON under --json', async () => {
    const r = await run(['routes', '--json']);
    expect(r.code).to.equal(1);
    expect(JSON.parse(r.stdout).error).to.include({ code: 'UNREACHABLE' });
    expect(r.stderr.trimEnd().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/^strangler: cannot reach the admin API at http:\/\/127\.0\.0\.1:9/);
  });
});
