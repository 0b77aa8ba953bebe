import { expect } from 'chai';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { productListQuery } from '../lib/contract/schemas/user-api.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS = ['README.md', ...readdirSync(`${ROOT}docs`).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (f: string) => readFileSync(`${ROOT}${f}`, 'utf8');

describe('docs: examples use what the code accepts, claims match the code', () => {
  it('every /api/products?… example uses query parameters the product list accepts (?limit= is ignored: size)', () => {
    const known = new Set(Object.keys(productListQuery.shape));
    const bad: string[] = [];
    for (const f of DOCS) {
      for (const m of text(f).matchAll(/\/api\/products\?([^\s'"`)#]+)/g)) {
        for (const pair of m[1].split('&')) {
          const name = pair.split('=')[0];
          if (!known.has(name)) bad.push(`${f}: ${m[0]} (${name})`);
        }
      }
    }
    expect(known.has('size')).to.equal(true);
    expect(bad).to.deep.equal([]);
  });

  it('docs/demo.md does not say legacy like writes fail after the product cutover (the seam handles them)', () => {
    const demo = text('docs/demo.md');
    expect(demo).to.not.match(/or those writes fail/);
    expect(demo).to.include('legacy/seam/test/seam.test.ts');
    // the test named there exists
    expect(text('legacy/seam/test/seam.test.ts')).to.include('likes write the mark here and move like_count through the product service, never the old copy');
  });
});
