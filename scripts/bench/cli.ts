/**
 * `npm run bench -- <name>` runs scripts/bench/<name>.ts; with no name, every
 * benchmark in turn and one summary table. Each benchmark module exports
 * `run(): Promise<BenchResult[]>` and prints its own detailed table. The load
 * average is printed before and after every benchmark; results of a run that
 * started on a busy machine (see _noise.ts) are marked noisy in the summary.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { formatLoad, judge, loadAverage } from './_noise.ts';

export interface BenchResult {
  bench: string;
  metric: string;
  ours: number;
  peer?: number;
  peerName?: string;
  unit: string;
  /** ours/peer, where higher is better for the metric; computed when absent. */
  ratio?: number;
  /** the machine was too busy for a verdict on this figure (set by the benchmark or by the load before the run) */
  noisy?: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));

async function available(): Promise<string[]> {
  return (await readdir(here)).filter((f) => f.endsWith('.ts') && !['cli.ts'].includes(f) && !f.startsWith('_') && !f.endsWith('.test.ts')).map((f) => f.slice(0, -3)).sort();
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const all = await available();
  const chosen = names.length ? names : all;
  for (const n of chosen) {
    if (!all.includes(n)) {
      console.error(`bench: unknown benchmark "${n}" (available: ${all.join(', ') || 'none'})`);
      process.exit(2);
    }
  }
  const results: BenchResult[] = [];
  for (const n of chosen) {
    const mod = (await import(pathToFileURL(join(here, `${n}.ts`)).href)) as { run(): Promise<BenchResult[]> };
    const before = loadAverage();
    console.log(`bench ${n}: load average before ${formatLoad(before)}`);
    const got = await mod.run();
    console.log(`bench ${n}: load average after ${formatLoad(loadAverage())}`);
    const busy = !judge({ loadBefore: before }).quiet;
    results.push(...got.map((r) => (busy ? { ...r, noisy: true } : r)));
  }
  if (chosen.length > 1 || names.length === 0) {
    console.log('\nSummary');
    console.table(results.map((r) => ({
      bench: r.bench, metric: r.metric, ours: round(r.ours), peer: r.peer === undefined ? '' : `${round(r.peer)} (${r.peerName ?? 'peer'})`,
      unit: r.unit, ratio: r.ratio !== undefined ? round(r.ratio) : r.peer ? round(r.ours / r.peer) : '',
      verdict: r.noisy ? 'noisy' : '',
    })));
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
