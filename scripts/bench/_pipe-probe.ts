/**
 * Probe: the shadow pool's pipelining client against the plain lean client, alone — 32 loops each sending a GET
 * and waiting for its answer, against strangler/bench/upstream.ts — CPU per request of this process (the client)
 * and of the upstream, interleaved rounds.  node scripts/bench/_pipe-probe.ts [rounds=6] [seconds=2]
 */
import type { Dispatcher } from 'undici';
import { LeanPool } from '../../strangler/relay/pool.ts';
import { PipelinePool } from '../../strangler/relay/pipeline-pool.ts';
import { children, loadNow, med, r1, startChild } from './_facade-procs.ts';
import { processCpuUs } from './_proc-cpu.ts';

const ROUNDS = Number(process.argv[2]) || 6;
const SECONDS = Number(process.argv[3]) || 2;
const up = await startChild('upstream.ts', ['1']);
const url = new URL(`http://127.0.0.1:${up.info.ports[0]}`);
const pid = up.child.pid!;
const opts = { connections: 4, connectTimeoutMs: 1000, timeoutMs: 5000 };
const pools: Record<string, { dispatch(o: any, h: Dispatcher.DispatchHandler): boolean }> = {
  lean: new LeanPool(url, opts),
  pipelined: new PipelinePool(url, { ...opts, depth: 16 }),
};
const headers = { host: '127.0.0.1:1', 'user-agent': 'autocannon', 'x-request-id': 'f3c1a8e0-5b6d-4f7e-9a2b-1c3d4e5f6a7b', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'localhost:1234', 'x-forwarded-port': '1234', forwarded: 'for=127.0.0.1;proto=http', 'x-strangler-shadow': 'service' };

function run(pool: { dispatch(o: any, h: Dispatcher.DispatchHandler): boolean }, ms: number): Promise<number> {
  return new Promise((done) => {
    const end = performance.now() + ms;
    let n = 0;
    let live = 32;
    const loop = () => {
      if (performance.now() > end) {
        if (--live === 0) done(n);
        return;
      }
      pool.dispatch({ method: 'GET', path: '/bench/svc', headers, body: null }, {
        onRequestStart() {}, onResponseStart() {}, onResponseData() {},
        onResponseEnd() { n++; loop(); },
        onResponseError() { loop(); },
      });
    };
    for (let i = 0; i < 32; i++) loop();
  });
}

const cpuSelf = () => { const u = process.cpuUsage(); return u.user + u.system; };
const cpuUp = () => { const c = processCpuUs(pid); return c.user + c.sys; };
const rows: Record<string, { client: number; up: number; rps: number }[]> = { lean: [], pipelined: [] };
for (const k of Object.keys(pools)) await run(pools[k], 500);
for (let round = 0; round < ROUNDS; round++) {
  for (const k of round % 2 ? ['pipelined', 'lean'] : ['lean', 'pipelined']) {
    const c0 = cpuSelf(); const u0 = cpuUp();
    const n = await run(pools[k], SECONDS * 1000);
    rows[k].push({ client: (cpuSelf() - c0) / n, up: (cpuUp() - u0) / n, rps: n / SECONDS });
  }
  console.log(`round ${round + 1} (load ${loadNow()}): ` + Object.keys(rows).map((k) => `${k} client ${r1(rows[k].at(-1)!.client)} upstream ${r1(rows[k].at(-1)!.up)} µs/req ${Math.round(rows[k].at(-1)!.rps)} req/s`).join(' | '));
}
for (const k of Object.keys(rows)) console.log(`${k}: client ${r1(med(rows[k].map((x) => x.client)))} µs/req, upstream ${r1(med(rows[k].map((x) => x.up)))} µs/req, ${Math.round(med(rows[k].map((x) => x.rps)))} req/s`);
for (const c of children) c.kill('SIGTERM');
process.exit(0);
