import { expect } from 'chai';
import { StepUnavailable, type DemoContext, type Step } from '../context.ts';
import { emptyEvidence } from '../evidence.ts';
import { oneLine, runSteps } from '../runner.ts';
import { Recorder } from '../traffic/recorder.ts';

function fakeCtx(): DemoContext {
  const recorder = new Recorder();
  return {
    evidence: emptyEvidence(), shared: {}, traffic: { recorder } as unknown as DemoContext['traffic'],
    say: () => undefined, dwell: async () => undefined, phase: (p: string) => recorder.setPhase(p), mark: () => recorder.samples.length,
  } as unknown as DemoContext;
}

const step = (id: string, needs: string[], run: Step['run']): Step => ({ id, title: `step ${id}`, needs, run });

describe('demo: step runner', () => {
  it('records done, not yet possible (with the reason), failed, and skips steps whose prerequisites are not done', async () => {
    const ctx = fakeCtx();
    const ran: string[] = [];
    const out: string[] = [];
    await runSteps([
      step('1', [], async () => { ran.push('1'); return { status: 'done' }; }),
      step('2', ['1'], async () => { ran.push('2'); throw new StepUnavailable('services/x.ts does not exist yet'); }),
      step('3', ['2'], async () => { ran.push('3'); return { status: 'done' }; }),
      step('4', ['1'], async () => { ran.push('4'); throw new Error('boom\nstack'); }),
    ], ctx, (l) => out.push(l));
    expect(ran).to.deep.equal(['1', '2', '4']);
    expect(ctx.evidence.steps.map((s) => [s.id, s.status, s.reason])).to.deep.equal([
      ['1', 'done', undefined], ['2', 'unavailable', 'services/x.ts does not exist yet'], ['3', 'unavailable', 'needs step 2'], ['4', 'failed', 'boom'],
    ]);
    expect(out).to.include('== Step 3: step 3');
    expect(out.some((l) => l.includes('→ NOT YET POSSIBLE: needs step 2'))).to.equal(true);
    expect(out.some((l) => l.includes('→ FAILED: boom'))).to.equal(true);
  });

  it('reports traffic seen during a step', async () => {
    const ctx = fakeCtx();
    const out: string[] = [];
    await runSteps([step('1', [], async (c) => {
      c.traffic.recorder.record({ persona: 'admin', action: 'x', endpoint: 'GET /x', phase: '1', status: 500, latencyMs: 4, at: 0, error: '5xx' });
      return { status: 'done' };
    })], ctx, (l) => out.push(l));
    expect(out.find((l) => l.includes('traffic during this step'))).to.match(/1 requests, 1 client-visible errors, p50 4\.0 ms/);
  });

  it('one-line errors mask DSN passwords', () => {
    expect(oneLine(new Error('connect mysql://app:s3cret@db:3306/x failed\nat …'))).to.equal('connect mysql://app:****@db:3306/x failed');
  });
});
