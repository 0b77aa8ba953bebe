import { expect } from 'chai';
import { silentLogger } from '../../../../lib/logger.ts';
import { errorJson, errorLine } from '../../lib/cli-errors.ts';
import type { Facts } from '../../lib/checks/facts.ts';
import { blockedError, CHECKS, runChecks } from '../../lib/checks/registry.ts';
import type { Check } from '../../lib/checks/types.ts';
import { SplitError } from '../../lib/errors.ts';
import type { Plan } from '../../lib/plan.ts';
import { renderPlan } from '../../lib/render.ts';

const fakeFacts = { source: async () => ({}), ctx: { log: silentLogger() } } as unknown as Facts;

describe('split-db checks: registry, start\'s refusal, plan output, CLI error line (pure)', () => {
  it('every check has a unique name and says what it checks', () => {
    const names = CHECKS.map((c) => c.name);
    expect(new Set(names).size).to.equal(names.length);
    for (const c of CHECKS) expect(c.what.length, c.name).to.be.greaterThan(10);
  });

  it('runs every check; a check that throws is a blocker of its own (masked), the others still run', async () => {
    const checks: Check[] = [
      { name: 'ok', what: 'x', run: async () => [] },
      { name: 'boom', what: 'x', run: async () => { throw new Error('connect to mysql://u:hunter2@db/x failed\n    at stack'); } },
      { name: 'warn', what: 'x', run: async () => [{ check: 'warn', severity: 'warning', message: 'w' }] },
    ];
    const r = await runChecks(fakeFacts, checks);
    expect(r.map((x) => [x.name, x.ok])).to.deep.equal([['ok', true], ['boom', false], ['warn', true]]);
    expect(r[1].findings[0].message).to.equal('boom: check could not run: connect to mysql://u:****@db/x failed');
    const err = blockedError(r)!;
    expect(err.code).to.equal('BLOCKED');
    expect(err.message).to.match(/^start blocked by 1 finding\(s\) of check\(s\) boom; nothing was changed: /);
    expect(blockedError([r[0], r[2]])).to.equal(null);
  });

  it('plan shows each check with pass/FAIL, blockers with their fix, warnings', () => {
    const p = {
      service: 'product', domain: 'product', source: 's', target: 't', sameServer: true, copyMode: 'sql', server: { version: '10.11', logBin: false },
      tables: [], crossingForeignKeys: [], code: [], steps: [], blockers: [], warnings: [],
      checks: [
        { name: 'privileges', what: '', ok: false, findings: [{ check: 'privileges', severity: 'blocker', message: 'source: u lacks TRIGGER', fix: 'GRANT TRIGGER' }] },
        { name: 'cascades', what: '', ok: true, findings: [{ check: 'cascades', severity: 'warning', message: 'a → b' }] },
      ],
      findings: [{ check: 'privileges', severity: 'blocker', message: 'source: u lacks TRIGGER', fix: 'GRANT TRIGGER' }, { check: 'cascades', severity: 'warning', message: 'a → b' }],
    } as unknown as Plan;
    const text = renderPlan(p);
    expect(text).to.contain('checks:\n  FAIL privileges\n  pass cascades (1 warning)');
    expect(text).to.contain('  ✗ [privileges] source: u lacks TRIGGER\n      fix: GRANT TRIGGER');
    expect(text).to.contain('  ! [cascades] a → b');
  });

  it('CLI errors are one masked line; --json gives code, message and the findings', () => {
    expect(errorLine(new Error('Access denied for mysql://root:pw@h/db\n    at x (y.js:1:1)'))).to.equal('split-db: Access denied for mysql://root:****@h/db');
    const e = new SplitError('BLOCKED', 'start blocked', { findings: [{ check: 'x', severity: 'blocker', message: 'm' }] });
    expect(errorJson(e)).to.deep.equal({ error: { code: 'BLOCKED', message: 'start blocked', findings: [{ check: 'x', severity: 'blocker', message: 'm' }] } });
    expect(errorJson(Object.assign(new Error('x'), { code: 'ER_ACCESS_DENIED_ERROR' }))).to.deep.equal({ error: { code: 'ER_ACCESS_DENIED_ERROR', message: 'x' } });
  });
});
