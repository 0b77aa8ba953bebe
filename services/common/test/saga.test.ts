import { expect } from 'chai';
import { memorySagaStore, recoverSagas, runSaga, SagaCrash, type SagaDefinition } from '../saga.ts';

interface Ctx { log: string[]; fail?: string; failCompensate?: string; crash?: string }

/** Steps record into a shared journal so order of effects and compensations is visible. */
function definition(journal: string[], opts: { fail?: string; failCompensate?: string; crash?: string; flaky?: number }): SagaDefinition<Ctx> {
  let flaky = opts.flaky ?? 0;
  const step = (name: string) => ({
    name,
    async run() {
      if (opts.crash === name) throw new SagaCrash();
      journal.push(`do ${name}`);
      if (opts.fail === name) throw new Error(`${name} broke`);
    },
    async compensate() {
      if (opts.failCompensate === name) {
        if (flaky > 0) { flaky--; throw new Error('transient'); }
        if (opts.flaky === undefined) throw new Error(`undo ${name} broke`);
      }
      journal.push(`undo ${name}`);
    },
  });
  return { type: 't', steps: [step('a'), step('b'), step('c')] };
}

describe('saga runner', () => {
  it('runs every step and records completion', async () => {
    const journal: string[] = [];
    const store = memorySagaStore();
    const r = await runSaga(definition(journal, {}), 'k', { log: [] }, store);
    expect(r.status).to.equal('completed');
    expect(journal).to.deep.equal(['do a', 'do b', 'do c']);
    expect((await store.get(r.id))?.status).to.equal('completed');
  });

  for (const [fail, undo] of [['a', ['undo a']], ['b', ['undo b', 'undo a']], ['c', ['undo c', 'undo b', 'undo a']]] as const) {
    it(`failure at step ${fail} compensates it and every earlier step in reverse`, async () => {
      const journal: string[] = [];
      const store = memorySagaStore();
      const r = await runSaga(definition(journal, { fail }), 'k', { log: [] }, store);
      expect(r.status).to.equal('compensated');
      expect(r.failedStep).to.equal(fail);
      expect(journal.filter((j) => j.startsWith('undo'))).to.deep.equal(undo);
      const rec = await store.get(r.id);
      expect(rec?.status).to.equal('compensated');
      expect(rec?.error).to.contain(`${fail} broke`);
    });
  }

  it('a compensation that keeps failing marks the saga failed with both errors', async () => {
    const journal: string[] = [];
    const store = memorySagaStore();
    const r = await runSaga(definition(journal, { fail: 'c', failCompensate: 'b' }), 'k', { log: [] }, store);
    expect(r.status).to.equal('failed');
    const rec = await store.get(r.id);
    expect(rec?.error).to.contain('c broke').and.to.contain('undo b broke');
    expect(journal).to.not.include('undo a');
  });

  it('retries a transient compensation failure', async () => {
    const journal: string[] = [];
    const store = memorySagaStore();
    const r = await runSaga(definition(journal, { fail: 'c', failCompensate: 'b', flaky: 2 }), 'k', { log: [] }, store, { compensationAttempts: 3 });
    expect(r.status).to.equal('compensated');
    expect(journal.filter((j) => j.startsWith('undo'))).to.deep.equal(['undo c', 'undo b', 'undo a']);
  });

  it('a crash leaves the saga running; recovery compensates from the step in flight', async () => {
    const journal: string[] = [];
    const store = memorySagaStore();
    const def = definition(journal, { crash: 'c' });
    let crashed = false;
    try {
      await runSaga(def, 'k', { log: [] }, store);
    } catch (err) {
      crashed = err instanceof SagaCrash;
    }
    expect(crashed).to.equal(true);
    expect((await store.unfinished()).map((r) => r.step)).to.deep.equal([2]);
    const recovered = await recoverSagas([def], store);
    expect(recovered.map((r) => r.status)).to.deep.equal(['compensated']);
    expect(journal).to.deep.equal(['do a', 'do b', 'undo c', 'undo b', 'undo a']);
    expect(await store.unfinished()).to.have.length(0);
  });
});
