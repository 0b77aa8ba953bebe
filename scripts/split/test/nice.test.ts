import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateOptions } from '../lib/options.ts';

describe('split-db --nice', () => {
  it('is an integer 0-19, 0 by default', () => {
    expect(validateOptions({}).nice).to.equal(0);
    expect(validateOptions({ nice: '10' }).nice).to.equal(10);
    expect(() => validateOptions({ nice: 20 })).to.throw('nice: must be an integer between 0 and 19');
    expect(() => validateOptions({ nice: -1 })).to.throw('nice: must be an integer between 0 and 19');
  });

  it('sets every thread of the process (Linux keeps a nice value per thread), not the main thread only', function () {
    if (!existsSync('/proc/self/task')) this.skip();
    const lib = fileURLToPath(new URL('../lib/nice.ts', import.meta.url));
    // a child process: the test runner's own priority stays as it is
    const script = `import { readdirSync, readFileSync } from 'node:fs';
      const { niceProcess } = await import(${JSON.stringify(lib)});
      const nices = () => readdirSync('/proc/self/task').map((t) => Number(readFileSync('/proc/self/task/' + t + '/stat', 'utf8').split(') ')[1].split(' ')[16]));
      const before = nices();
      const set = niceProcess(7);
      console.log(JSON.stringify({ before, set, after: nices() }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as { before: number[]; set: number; after: number[] };
    expect(out.before.length).to.be.greaterThan(1);
    expect(out.set).to.equal(out.after.length);
    expect(out.after.every((n) => n === 7), JSON.stringify(out)).to.equal(true);
  });
});
