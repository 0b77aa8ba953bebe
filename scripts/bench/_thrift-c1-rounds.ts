/**
 * Diagnostic companion of `npm run bench -- thrift` for the concurrency-1
 * latency target (p50 <= 0.7x HTTP+JSON's): many short paired rounds against
 * the bench's own server child (`thrift.ts --serve`), one caller at a time,
 * legs interleaved in a rotating order, and the median over rounds of
 * thrift p50 / http p50. One noisy round moves one ratio, not the verdict.
 *
 * With `--alt=<tree>` (a checkout of another commit, e.g. `git archive` of the
 * parent with node_modules linked) it also starts that tree's server child and
 * client and adds a third leg, so a change is compared with its parent in the
 * same rounds: both ratios, and the median of new/alt p50 per round.
 *
 *   npx node scripts/bench/_thrift-c1-rounds.ts [rounds=30] [ms per leg=400] [--alt=/tmp/parent]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Pool } from 'undici';

const args = process.argv.slice(2);
const alt = args.find((a) => a.startsWith('--alt='))?.slice(6);
const [roundsArg = '30', msArg = '400'] = args.filter((a) => !a.startsWith('--'));
const rounds = Number(roundsArg);
const legMs = Number(msArg);
const here = resolve(fileURLToPath(new URL('../..', import.meta.url)));

interface Tree { child: ChildProcess; thriftPort: number; httpPort: number; call: () => Promise<unknown>; close: () => Promise<void> }

async function startTree(root: string): Promise<Tree> {
  const child = spawn(process.execPath, [resolve(root, 'scripts/bench/thrift.ts'), '--serve'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const [thriftPort, httpPort] = await new Promise<number[]>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /ready (\d+) (\d+) (\d+) (\d+)/.exec(out);
      if (m) res(m.slice(1).map(Number));
    });
    child.once('exit', (code) => rej(new Error(`server child of ${root} exited (${code})`)));
  });
  const { createThriftClient } = await import(pathToFileURL(resolve(root, 'rpc/index.ts')).href);
  const { default: ProductService } = await import(pathToFileURL(resolve(root, 'thrift/gen-nodejs/ProductService.js')).href);
  const client = createThriftClient(ProductService, { service: 'product', port: thriftPort, maxInFlightPerConnection: 256, maxQueue: 1024, timeoutMs: 10_000, metrics: false });
  const query = { page: { limit: 20 }, view: { withImages: true, withShop: true } };
  return {
    child, thriftPort: thriftPort!, httpPort: httpPort!,
    call: () => client.listProducts({ requestId: 'bench' }, query),
    close: async () => { await client.$close(); child.kill('SIGTERM'); },
  };
}

/** CPU time (µs) the server child has used so far. */
function childCpu(child: ChildProcess): Promise<number> {
  return new Promise((res) => {
    child.once('message', (u) => { const c = u as NodeJS.CpuUsage; res(c.user + c.system); });
    child.send('cpu');
  });
}

/** p50 of one leg and its CPU per call (this process + the server child): calls back to back for `ms` after a short warm-up. */
async function leg(call: () => Promise<unknown>, ms: number, server: ChildProcess): Promise<{ p50: number; cpu: number }> {
  const warm = performance.now() + Math.min(100, ms / 4);
  while (performance.now() < warm) await call();
  const s0 = await childCpu(server);
  const c0 = process.cpuUsage();
  const lat: number[] = [];
  const end = performance.now() + ms;
  for (;;) {
    const t0 = performance.now();
    await call();
    const t1 = performance.now();
    lat.push(t1 - t0);
    if (t1 >= end) break;
  }
  const c = process.cpuUsage(c0);
  const cpu = c.user + c.system + (await childCpu(server)) - s0;
  return { p50: median(lat), cpu: cpu / lat.length };
}

function median(xs: number[]): number {
  const s = Float64Array.from(xs).sort();
  return s.length % 2 ? s[s.length >> 1]! : (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2;
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const loadBefore = load();
const main = await startTree(here);
const other = alt ? await startTree(resolve(alt)) : undefined;
const pool = new Pool(`http://127.0.0.1:${main.httpPort}`, { connections: 1 });
const http = async () => {
  const r = await pool.request({ method: 'GET', path: '/products?limit=20' });
  if (r.statusCode !== 200) throw new Error(`HTTP ${r.statusCode}`);
  return r.body.json();
};
const legs: [string, () => Promise<unknown>, ChildProcess][] = [['http', http, main.child], ['thrift', main.call, main.child]];
if (other) legs.push(['alt', other.call, other.child]);
const p50s: Record<string, number[]> = Object.fromEntries(legs.map(([n]) => [n, []]));
const cpus: Record<string, number[]> = Object.fromEntries(legs.map(([n]) => [n, []]));
for (let r = 0; r < rounds; r++) {
  for (let i = 0; i < legs.length; i++) {
    const [name, call, server] = legs[(r + i) % legs.length]!; // rotate which leg goes first
    const m = await leg(call, legMs, server);
    p50s[name]!.push(m.p50);
    cpus[name]!.push(m.cpu);
  }
}
const ratio = (a: string, b: string) => p50s[a]!.map((x, i) => x / p50s[b]![i]!);
const fmt = (xs: number[]) => `median ${median(xs).toFixed(3)} (min ${Math.min(...xs).toFixed(3)}, max ${Math.max(...xs).toFixed(3)})`;
console.log(`c1 paired rounds: ${rounds} rounds x ${legs.length} legs x ${legMs} ms; load average before ${loadBefore}, after ${load()}`);
for (const [n] of legs) console.log(`  p50 ${n.padEnd(6)} ms: ${fmt(p50s[n]!)}; CPU µs/call (client+server) median ${median(cpus[n]!).toFixed(1)}`);
console.log(`  thrift/http p50 per round: ${fmt(ratio('thrift', 'http'))}`);
if (other) {
  console.log(`  alt/http p50 per round:    ${fmt(ratio('alt', 'http'))}`);
  console.log(`  thrift/alt p50 per round:  ${fmt(ratio('thrift', 'alt'))}`);
  console.log(`  thrift/alt CPU per round:  ${fmt(cpus.thrift!.map((x, i) => x / cpus.alt![i]!))}`);
}
await pool.close();
await main.close();
await other?.close();
