import { expect } from 'chai';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findCompiler, generate, GEN_DIR } from '../generate.ts';

describe('thrift generated code', () => {
  it('committed thrift/gen-nodejs matches a fresh generation from the IDL', async function () {
    this.timeout(60_000);
    const compiler = await findCompiler();
    if (!compiler) {
      console.log('      (skipped: no `thrift` compiler here; apt-get install -y thrift-compiler)');
      this.skip();
    }
    const dir = await mkdtemp(join(tmpdir(), 'thrift-gen-'));
    try {
      const fresh = await generate(dir, compiler!.bin);
      const committed = (await readdir(GEN_DIR)).sort();
      expect(committed, 'file list (run npm run thrift:gen)').to.deep.equal(fresh);
      for (const f of fresh) {
        const [a, b] = await Promise.all([readFile(join(dir, f), 'utf8'), readFile(join(GEN_DIR, f), 'utf8')]);
        expect(b === a, `thrift/gen-nodejs/${f} is stale: run npm run thrift:gen`).to.equal(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('generated code runs on the npm thrift runtime without thrift.Q', async () => {
    const src = await readFile(join(GEN_DIR, 'ProductService.js'), 'utf8');
    expect(src).to.not.match(/thrift\.Q\b/);
    const mod = (await import('../gen-nodejs/ProductService.js')).default as { Client: Function; Processor: Function };
    expect(mod.Client).to.be.a('function');
    expect(mod.Processor).to.be.a('function');
  });
});
