import { expect } from 'chai';
import { withDatabase } from '../../../lib/db.ts';
import { testServerDsn } from '../../../test/helpers/db.ts';
import { runCli } from './helpers.ts';

const SUBCOMMANDS = ['plan', 'start', 'status', 'verify', 'cutover', 'rollback', 'complete', 'cancel', 'repair', 'repoint'];

describe('split-db CLI: help and usage errors', function () {
  this.timeout(60_000);

  it('every subcommand\'s --help has its examples and the common global options with defaults, not all 17', async () => {
    const helps = await Promise.all(SUBCOMMANDS.map((c) => runCli([c, '--help'])));
    helps.forEach((h, i) => {
      const name = SUBCOMMANDS[i];
      expect(h.code, name).to.equal(0);
      expect(h.stdout, name).to.match(new RegExp(`Examples:\\n  \\$ split-db ${name}`));
      expect(h.stdout, name).to.match(/Global options[^\n]*\n(  --\S+.*default: .*\)\n){6}/);
      expect(h.stdout, name).to.include('--json');
      expect(h.stdout, name).to.not.include('--chunk-size <n>');
    });
    const top = await runCli(['--help']);
    const tuning = top.stdout.split('\n').filter((l) => /^\s+--[a-z-]+ <[a-z]+>/.test(l));
    expect(tuning.length).to.be.greaterThan(15);
    expect(top.stdout).to.match(/--chunk-size <n>\s+initial copy chunk size[\s\S]*?\(default: 2000\)/);
    expect(top.stdout).to.match(/Exit codes: 0 ok, 1 error, 2 usage/);
  });

  it('a missing argument or unknown option is one line `split-db: …`, exit 2; JSON on stdout under --json', async () => {
    const missing = await runCli(['plan']);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.equal("split-db: missing required argument 'service' (split-db --help for usage)\n");
    expect(missing.stdout).to.equal('');
    const unknown = await runCli(['status', '--bogus']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.match(/^split-db: unknown option '--bogus'.*\n$/);
    const json = await runCli(['verify', '--json']);
    expect(json.code).to.equal(2);
    expect(JSON.parse(json.stdout)).to.deep.equal({ error: { code: 'USAGE', message: "missing required argument 'service'" } });
  });

  it('an unreachable database or a refused login is one line (no knex stack), exit 1, JSON under --json', async () => {
    const refused = await runCli(['plan', 'product', '--source', 'mysql://root@127.0.0.1:1/legacy']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.equal('split-db: connect ECONNREFUSED 127.0.0.1:1\n');
    const login = withDatabase(testServerDsn(), 'legacy').replace('mysql://root', 'mysql://no_such_user:secretpw');
    const denied = await runCli(['status', 'product', '--json', '--source', login, '--ownership', login], { LOG_LEVEL: 'info' });
    expect(denied.code).to.equal(1);
    expect(denied.stderr.trimEnd().split('\n'), denied.stderr).to.have.length(1);
    expect(denied.stderr).to.match(/^split-db: .*Access denied for user 'no_such_user'/);
    expect(denied.stderr).to.not.include('secretpw');
    expect(JSON.parse(denied.stdout).error.message).to.match(/Access denied/);
  });
});
