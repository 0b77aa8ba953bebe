/**
 * Benchmark load generator, run as its own process so it never shares an
 * event loop with a proxy. `throughput`: autocannon with N connections
 * (optionally `throughput <url> <N> <seconds> POST <bytes>`: each request
 * carries a body of that many bytes; `... POST <bytes> <rate>`: at most that many requests per second in all).
 * `latency`: one connection, sequential requests, timed with performance.now()
 * (sub-millisecond p50/p99, which autocannon's 1 ms histogram cannot give).
 * Prints one JSON line (throughput: with `cpuUs`, the generator's own CPU time over the run).
 */
import autocannon from 'autocannon';
import { Pool } from 'undici';

const [mode, url, connections, seconds] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const method = process.argv[6] ?? 'GET';
const bodyBytes = Number(process.argv[7] ?? 0);
/** Optional: requests per second in all (autocannon's overallRate), to compare CPU per request at the same offered load. */
const rate = Number(process.argv[8] ?? 0);

const cpuTotal = (u: NodeJS.CpuUsage) => u.user + u.system;

if (mode === 'throughput') {
  const body = bodyBytes > 0 ? 'x'.repeat(bodyBytes) : undefined;
  const cpu0 = process.cpuUsage();
  const r = await autocannon({ url, connections, duration: seconds, pipelining: 1, method: method as 'GET', body, ...(rate > 0 ? { overallRate: rate } : {}), headers: body === undefined ? {} : { 'content-type': 'text/plain' } });
  process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, total: r.requests.total, cpuUs: cpuTotal(process.cpuUsage(cpu0)) }) + '\n');
} else {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: 1 });
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  let errors = 0;
  while (performance.now() < end) {
    const t0 = performance.now();
    const r = await pool.request({ method: 'GET', path: u.pathname + u.search });
    await r.body.dump();
    if (r.statusCode !== 200) errors++;
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  process.stdout.write(JSON.stringify({ n: samples.length, p50: at(0.5), p99: at(0.99), errors }) + '\n');
  await pool.close();
}
