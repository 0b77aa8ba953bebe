/**
 * Diagnostic companion of `npm run bench -- thrift` (not a benchmark: the
 * leading underscore keeps it out of `npm run bench`). Runs one transport at
 * one concurrency against the bench's server child and prints what a call
 * costs on the wire: socket reads and writes per call, bytes per read, and the
 * latency distribution over time (is the tail periodic, e.g. GC?), and where
 * the slow calls (>= p99) come from: how many overlap a GC pause of this
 * (client) process, the event-loop delay of both processes (monitorEventLoopDelay),
 * GC pauses in the server process, and young-generation survival is what
 * `--trace-gc-nvp` shows (new_space_survive_rate_). For thrift it also splits
 * each call's latency at the moment the server's handler ran it (request ids
 * "probe-<n>", times in epoch ms on both sides): before = client send queue,
 * network and server read/decode/queue; after = server encode/write, network,
 * client read/decode and the wait for the caller's continuation to run.
 *
 *   npx node scripts/bench/_thrift-probe.ts [thrift|http] [concurrency] [seconds] [poolSize]
 *   npx node --cpu-prof --cpu-prof-dir=/tmp/prof scripts/bench/_thrift-probe.ts thrift 32 5
 *   PROBE_SERVER_PROF=/tmp/prof …   (also profiles the server child)
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, performance, PerformanceObserver, constants as perfConst } from 'node:perf_hooks';
import { Pool } from 'undici';
import ProductService from '../../thrift/gen-nodejs/ProductService.js';
import { createThriftClient } from '../../rpc/index.ts';

const [kind = 'thrift', cArg = '32', sArg = '5', pArg] = process.argv.slice(2);
const concurrency = Number(cArg);
const seconds = Number(sArg);

// Count socket reads/writes made by this (client) process.
let reads = 0;
let readBytes = 0;
let writes = 0;
let writeBytes = 0;
const origWrite = net.Socket.prototype.write;
net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
  writes++;
  writeBytes += (chunk as Buffer).length ?? 0;
  return (origWrite as Function).call(this, chunk, ...rest);
} as typeof origWrite;
const origEmit = net.Socket.prototype.emit;
net.Socket.prototype.emit = function (this: net.Socket, ev: string | symbol, ...args: unknown[]) {
  if (ev === 'data') {
    reads++;
    readBytes += (args[0] as Buffer).length;
  }
  return (origEmit as Function).call(this, ev, ...args);
} as typeof origEmit;

const serverArgs = process.env.PROBE_SERVER_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PROBE_SERVER_PROF}`] : [];
const child = spawn(process.execPath, [...serverArgs, fileURLToPath(new URL('./thrift.ts', import.meta.url)), '--serve'], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
const ports = await new Promise<number[]>((res) => {
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d;
    const m = /ready (\d+) (\d+) (\d+) (\d+)/.exec(out);
    if (m) res(m.slice(1).map(Number));
  });
});
const query = { page: { limit: 20 }, view: { withImages: true, withShop: true } };
let call: () => Promise<unknown>;
let callNo = 0;
let close: () => Promise<void>;
if (kind === 'http') {
  const pool = new Pool(`http://127.0.0.1:${ports[1]}`, { connections: concurrency });
  call = async () => (await pool.request({ method: 'GET', path: '/products?limit=20' })).body.json();
  close = () => pool.close();
} else {
  const c = createThriftClient(ProductService, { service: 'product', port: ports[0]!, ...(pArg ? { poolSize: Number(pArg) } : {}), maxQueue: 1024, timeoutMs: 10_000, metrics: false });
  call = () => c.listProducts({ requestId: `probe-${++callNo}` }, query);
  close = () => c.$close();
}

let stop = false;
let recording = false;
// GC pauses in this (client) process while recording: count, total and longest, by kind
const gc = new Map<string, { n: number; ms: number; max: number }>();
/** every GC pause while recording: [start, end] in performance.now() time */
const pauses: [number, number][] = [];
const gcKinds: Record<number, string> = { [perfConst.NODE_PERFORMANCE_GC_MINOR]: 'scavenge', [perfConst.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact', [perfConst.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [perfConst.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
new PerformanceObserver((list) => {
  if (!recording) return;
  for (const e of list.getEntries()) {
    const k = gcKinds[((e as unknown as { detail: { kind: number } }).detail).kind] ?? 'other';
    const g = gc.get(k) ?? { n: 0, ms: 0, max: 0 };
    g.n++; g.ms += e.duration; g.max = Math.max(g.max, e.duration);
    gc.set(k, g);
    pauses.push([e.startTime, e.startTime + e.duration]);
  }
}).observe({ entryTypes: ['gc'] });
const lat: number[] = [];
const at: number[] = [];
const ids: string[] = [];
const worker = async () => {
  while (!stop) {
    const t0 = performance.now();
    const id = `probe-${callNo + 1}`; // the id call() is about to use (thrift)
    await call();
    if (recording) { lat.push(performance.now() - t0); at.push(t0); ids.push(id); }
  }
};
const workers = Array.from({ length: concurrency }, worker);
await new Promise((r) => setTimeout(r, 1000));
reads = readBytes = writes = writeBytes = 0;
const serverDiag = (m: string) => new Promise<unknown>((res) => {
  child.once('message', res);
  child.send(m);
});
await serverDiag('diag-start');
const eld = monitorEventLoopDelay({ resolution: 1 });
eld.enable();
recording = true;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await new Promise((r) => setTimeout(r, seconds * 1000));
recording = false;
eld.disable();
const srv = await serverDiag('diag') as { eldP50: number; eldP99: number; eldMax: number; gc: { n: number; ms: number; max: number }; handled?: { ids: string[]; at: number[] } };
const cpu = process.cpuUsage(cpu0);
const elapsed = (performance.now() - t0) / 1000;
stop = true;
await Promise.all(workers);
const n = lat.length;
const sorted = Float64Array.from(lat).sort();
const p = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!.toFixed(2);
console.log(`${kind} c${concurrency}${pArg ? ` pool ${pArg}` : ''}: ${Math.round(n / elapsed)} calls/s p50 ${p(0.5)} p99 ${p(0.99)} p999 ${p(0.999)} max ${p(1)} ms; client cpu ${Math.round((cpu.user + cpu.system) / n)} µs/call`);
console.log(`per call: ${(writes / n).toFixed(2)} writes (${Math.round(writeBytes / n)} B), ${(reads / n).toFixed(2)} reads (${Math.round(readBytes / n)} B; ${Math.round(readBytes / Math.max(1, reads))} B/read)`);
console.log(`client GC: ${[...gc].map(([k, g]) => `${k} ${g.n}× ${g.ms.toFixed(0)} ms (max ${g.max.toFixed(1)})`).join(', ') || 'none'} in ${elapsed.toFixed(1)} s`);
// where are the slow calls? 100 ms buckets: count of calls above the overall p99
const p99 = sorted[Math.floor(0.99 * n)]!;
const buckets = new Map<number, number>();
for (let i = 0; i < n; i++) if (lat[i]! >= p99) buckets.set(Math.floor((at[i]! - t0) / 100), (buckets.get(Math.floor((at[i]! - t0) / 100)) ?? 0) + 1);
let slow = 0;
let slowInGc = 0;
for (let i = 0; i < n; i++) {
  if (lat[i]! < p99) continue;
  slow++;
  const a = at[i]!;
  const b = a + lat[i]!;
  if (pauses.some(([s, e]) => s < b && e > a)) slowInGc++;
}
console.log(`slow calls (>= p99): ${slow}, ${slowInGc} of them overlap a client GC pause (${Math.round((100 * slowInGc) / Math.max(1, slow))} %)`);
console.log(`event-loop delay p50/p99/max ms: client ${(eld.percentile(50) / 1e6).toFixed(1)}/${(eld.percentile(99) / 1e6).toFixed(1)}/${(eld.max / 1e6).toFixed(1)}, server ${srv.eldP50.toFixed(1)}/${srv.eldP99.toFixed(1)}/${srv.eldMax.toFixed(1)}`);
console.log(`server GC: ${srv.gc.n}× ${srv.gc.ms.toFixed(0)} ms (max ${srv.gc.max.toFixed(1)}); load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
if (kind !== 'http' && srv.handled) {
  // epoch ms of the handler run per call, and the split of each call's latency around it
  const handledAt = new Map<string, number>();
  srv.handled.ids.forEach((id, i) => handledAt.set(id, srv.handled!.at[i]!));
  const split = (pick: (i: number) => boolean) => {
    const before: number[] = [];
    const after: number[] = [];
    for (let i = 0; i < n; i++) {
      const h = handledAt.get(ids[i]!);
      if (h === undefined || !pick(i)) continue;
      const sent = performance.timeOrigin + at[i]!;
      before.push(h - sent);
      after.push(sent + lat[i]! - h);
    }
    const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    return `${med(before).toFixed(1)} ms before the handler ran, ${med(after).toFixed(1)} ms after (median of ${before.length})`;
  };
  console.log(`latency split at the server handler: all calls ${split(() => true)}; slow calls ${split((i) => lat[i]! >= p99)}`);
}
console.log(`slow calls (>= p99) per 100 ms bucket: ${[...buckets].sort((a, b) => a[0] - b[0]).map(([b, c]) => `${b}:${c}`).join(' ')}`);
await close();
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
