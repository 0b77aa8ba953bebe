/**
 * What the two split copy probes (_split-copy-ab.ts, _split-copy-timeline.ts)
 * share: a shell pipeline run to its end, and the split library of another
 * checkout (SPLIT_AB_BASE) for paired old/new rounds.
 */
import { spawn } from 'node:child_process';
import type { closeContext, openContext } from '../split/lib/context.ts';
import type { parseManifest, resolveService } from '../split/lib/manifest.ts';
import type { validateOptions } from '../split/lib/options.ts';
import type { start } from '../split/lib/start.ts';

/** Runs `cmd` in bash with pipefail; rejects with the start of its stderr when it fails. */
export function shell(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pipe failed (${code}): ${err.slice(0, 300)}`))));
  });
}

export interface SplitLib {
  openContext: typeof openContext;
  closeContext: typeof closeContext;
  parseManifest: typeof parseManifest;
  resolveService: typeof resolveService;
  validateOptions: typeof validateOptions;
  start: typeof start;
}

/** The split library of the checkout in SPLIT_AB_BASE (`what` names the caller's option in the error). */
export async function baseLib(what: string): Promise<SplitLib> {
  const dir = process.env.SPLIT_AB_BASE;
  if (!dir) throw new Error(`${what}: set SPLIT_AB_BASE to another checkout of the repository`);
  const [c, m, o, s] = await Promise.all(['context', 'manifest', 'options', 'start'].map((f) => import(`${dir}/scripts/split/lib/${f}.ts`)));
  return { openContext: c.openContext, closeContext: c.closeContext, parseManifest: m.parseManifest, resolveService: m.resolveService, validateOptions: o.validateOptions, start: s.start };
}
