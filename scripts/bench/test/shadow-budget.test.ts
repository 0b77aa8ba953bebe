import { expect } from 'chai';
import { shadowBudget } from '../_shadow-budget.ts';

describe('facade bench: where shadow mode\'s CPU goes', () => {
  // passthrough: 15 + 40 + 23 + 0 = 78 µs per request; shadow: 15 + 49 + 23 + 23 = 110 µs
  const rounds = (load: number, facade: number, legacy: number, service: number) => ({
    loadUs: [load + 1, load, load - 1], cpuUsPerReq: [facade, facade + 5, facade - 5], legacyUs: [legacy, legacy, legacy], serviceUs: [service, service, service],
  });

  it('sums every process per request (medians over rounds), predicts the req/s ratio and the ceiling a free copy would leave', () => {
    const line = shadowBudget(rounds(15, 40, 23, 0), rounds(15, 49, 23, 23), 0.71);
    expect(line).to.include('passthrough load generator 15 + facade 40 + legacy 23 + service 0 = 78 µs');
    expect(line).to.include('shadow load generator 15 + facade 49 + legacy 23 + service 23 = 110 µs');
    expect(line).to.include('A copy costs the facade 9 µs and the service 23 µs');
    expect(line).to.include('predicted by the sums 0.71× (measured 0.71×)');
    expect(line).to.include('with a copy costing the facade nothing 0.77×'); // 78 / (110 − 9)
    expect(line).to.include('facade on cores of its own (facade CPU passthrough ÷ shadow) 0.82×'); // 40 / 49
  });
});
