/** The page's text colours on their backgrounds meet WCAG AA (4.5:1), read from the stylesheet itself. */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CSS = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'web', 'style.css'), 'utf8');

function luminance(hex: string): number {
  const h = hex.replace('#', '');
  const full = h.length === 3 ? h.split('').map((c) => c + c).join('') : h;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const vars = Object.fromEntries([...CSS.matchAll(/--([\w-]+):\s*(#[0-9a-f]{3,6})/gi)].map((m) => [m[1], m[2]]));
const colour = (v: string) => (v.startsWith('#') ? v : vars[v]);
/** A rule's `color` and `background` (own hex values or variables). */
function pair(selector: string): [string, string] {
  const body = CSS.slice(CSS.indexOf(selector + ' {') + selector.length);
  const rule = body.slice(body.indexOf('{') + 1, body.indexOf('}'));
  const pick = (prop: string) => new RegExp(`(?:^|[;\\s])${prop}:\\s*(?:var\\(--([\\w-]+)\\)|(#[0-9a-f]{3,6}))`, 'i').exec(rule);
  const c = pick('color');
  const bg = pick('background');
  return [colour(c?.[1] ?? c?.[2] ?? 'fg'), colour(bg?.[1] ?? bg?.[2] ?? 'bg')];
}

describe('dashboard: colour contrast (WCAG AA)', function () {
  it('the contrast formula matches known values', function () {
    expect(contrast('#000', '#fff')).to.be.closeTo(21, 0.01);
    expect(contrast('#767676', '#fff')).to.be.closeTo(4.54, 0.01);
    expect(pair('.mode-service')).to.deep.equal(['#fff', vars.ok]);
  });
  for (const v of ['fg', 'muted', 'accent', 'bad', 'warn', 'ok']) {
    it(`--${v} on white and on the soft grey`, function () {
      expect(contrast(vars[v], vars.bg)).to.be.at.least(4.5);
      expect(contrast(vars[v], vars.soft)).to.be.at.least(4.5);
    });
  }
  for (const sel of ['.mode-service', '.mode-canary', '.mode-shadow', '.mode-legacy', 'tr.kind-noise, tr.kind-ignored']) {
    it(`${sel}: text on its background`, function () {
      const [fg, bg] = pair(sel);
      expect(contrast(fg, bg), `${fg} on ${bg}`).to.be.at.least(4.5);
    });
  }
  it('real differences (bad on the highlight) stay readable', function () {
    expect(contrast(vars.bad, '#fde8e8')).to.be.at.least(4.5);
  });
});
