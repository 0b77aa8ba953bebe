import { expect } from 'chai';
import { cpus } from 'node:os';
import { busyCores, machineJiffies, rssMiB } from '../_machine-cpu.ts';

describe('bench machine CPU accounting (/proc)', () => {
  const linux = process.platform === 'linux';

  it('busy cores between two readings lie between 0 and the core count, and a spinning loop shows up', function () {
    if (!linux) this.skip();
    const a = machineJiffies();
    const end = Date.now() + 300;
    while (Date.now() < end); // keep one core busy for the window
    const b = machineJiffies();
    const busy = busyCores(a, b);
    expect(busy).to.be.within(0, cpus().length);
    // USER_HZ is 100: 300 ms of spinning is ~30 jiffies of busy time on one core
    expect(b.busy - a.busy).to.be.greaterThan(10);
  });

  it('no elapsed jiffies gives NaN, not a division by zero', () => {
    const a = { busy: 10, total: 100 };
    expect(busyCores(a, a)).to.be.NaN;
  });

  it('RSS of this process is positive; of a process that does not exist, NaN', function () {
    if (!linux) this.skip();
    expect(rssMiB(process.pid)).to.be.greaterThan(1);
    expect(rssMiB(2 ** 22 + 12345)).to.be.NaN;
  });
});
