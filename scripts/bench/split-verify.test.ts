import { expect } from 'chai';
import { median, verifyResult, verifyVsChecksum } from './_split-verify.ts';

describe('split bench: verify against CHECKSUM TABLE, interleaved', () => {
  it('sets every verify against the peer runs just before and after it and reports medians', async () => {
    const calls: string[] = [];
    const peer = [1, 3, 1, 1]; // seconds of the 4 CHECKSUM TABLE runs around 3 verifies
    const ours = [4, 2, 8];
    let clock = 0;
    const realNow = performance.now.bind(performance);
    performance.now = () => clock;
    try {
      const r = await verifyVsChecksum({
        rows: 1000, rounds: 3, log: (s) => calls.push(`log ${s.split(':')[0]}`),
        checksumBothSides: async () => {
          calls.push('peer');
          return peer.shift()!;
        },
        verify: async () => {
          calls.push('verify');
          clock += ours.shift()! * 1000;
          return { differences: [], differencesFound: 0 };
        },
      });
      expect(calls.filter((c) => !c.startsWith('log'))).to.deep.equal(['peer', 'verify', 'peer', 'verify', 'peer', 'verify', 'peer']);
      expect(r.rounds.map((x) => [x.verifySec, x.checksumSec])).to.deep.equal([[4, 2], [2, 2], [8, 1]]);
      expect(r.ratio).to.equal(0.5); // ratios 0.5, 1, 0.125
      expect(r.verifyRowsPerSec).to.equal(250);
      expect(r.checksumRowsPerSec).to.equal(500);
      const row = verifyResult(r);
      expect(row.ratio).to.equal(0.5);
      expect(row.metric).to.match(/^verify rows\/s, writes paused \(0 differences; median of 3 rounds, load [\d.]+→[\d.]+\)$/);
    } finally {
      performance.now = realNow;
    }
  });

  it('names differences and refuses zero rounds', async () => {
    expect(median([3, 1, 2])).to.equal(2);
    expect(median([4, 1, 2, 3])).to.equal(2.5);
    const base = { rows: 1, log: () => undefined, checksumBothSides: async () => 1, verify: async () => ({ differences: [1, 2] }) };
    expect(verifyResult(await verifyVsChecksum({ ...base, rounds: 1 })).metric).to.include('2 differences!');
    let err: Error | undefined;
    try {
      await verifyVsChecksum({ ...base, rounds: 0 });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.equal('verify rounds must be at least 1');
  });
});
