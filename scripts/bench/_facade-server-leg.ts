/**
 * Issue 15 probe (not a benchmark of `npm run bench`; files starting with `_` are not listed): what would a
 * byte-level client side save the facade? Prices node:http's server leg on a proxied request by pairing two
 * minimal proxies on the lean upstream client (strangler/bench/server-leg-probe.ts: node:http vs net.Server
 * with a minimal head parser) with the facade's passthrough and nginx, in the same interleaved rounds.
 *
 *   node scripts/bench/_facade-server-leg.ts [rounds=6] [seconds=3]
 *
 * Every target serves the same upstream (strangler/bench/upstream.ts) under the same load
 * (strangler/bench/load.ts, 32 connections); CPU per request = utime and stime of the serving process from
 * /proc/<pid>/stat over the requests served. Printed: each round, the medians (user/sys split), the paired
 * median ratios to nginx, and the facade projected with the paired saving (facade − (http probe − raw probe)),
 * an upper bound for a fast path, which would still carry the facade's per-request work (ids, deadlines,
 * metrics, the route decision) on top of the raw probe. Load average printed before and after.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('../../strangler/bench/', import.meta.url));
const ROUNDS = Number(process.argv[2]) || 6;
const SECONDS = Number(process.argv[3]) || 3;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;
const children: ChildProcess[] = [];

/** [user, sys] CPU of a process in µs. */
function cpuUs(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [(Number(f[11]) * 1e6) / CLK_TCK, (Number(f[12]) * 1e6) / CLK_TCK];
}

function startChild(script: string, args: string[]): Promise<{ child: ChildProcess; info: { port?: number; ports?: number[] } }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(benchDir, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    children.push(child);
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, info: JSON.parse(line) }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

function load(url: string, seconds: number): { total: number; errors: number; non2xx: number } {
  const r = spawnSync(process.execPath, [join(benchDir, 'load.ts'), 'throughput', url, '32', String(seconds)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load generator exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

async function waitPort(port: number): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => { s.destroy(); r(false); });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} did not open`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startNginx(upstreamPort: number): Promise<{ pid: number; port: number; dir: string } | null> {
  const which = spawnSync('which', ['nginx']);
  if (which.status !== 0) return null;
  const dir = await mkdtemp(join(tmpdir(), 'strangler-server-leg-nginx-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  await writeFile(join(dir, 'nginx.conf'), `worker_processes 1; master_process off; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream up { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
`);
  const child = spawn(which.stdout.toString().trim(), ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  children.push(child);
  await waitPort(port);
  return { pid: child.pid!, port, dir };
}

const med = (a: readonly number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
const r1 = (x: number) => Math.round(x * 10) / 10;
const loadNow = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  console.log(`load average before: ${loadNow()}`);
  const up = await startChild('upstream.ts', ['2']);
  const [legacyPort, servicePort] = up.info.ports!;
  const facade = await startChild('facade-proc.ts', [String(legacyPort), String(servicePort)]);
  const httpProbe = await startChild('server-leg-probe.ts', ['http', String(legacyPort)]);
  const rawProbe = await startChild('server-leg-probe.ts', ['raw', String(legacyPort)]);
  const nginx = await startNginx(legacyPort);
  const targets: { name: string; pid: number; url: string }[] = [
    { name: 'facade passthrough', pid: facade.child.pid!, url: `http://127.0.0.1:${facade.info.port}/bench/pass` },
    { name: 'probe node:http + lean', pid: httpProbe.child.pid!, url: `http://127.0.0.1:${httpProbe.info.port}/bench/pass` },
    { name: 'probe net + lean', pid: rawProbe.child.pid!, url: `http://127.0.0.1:${rawProbe.info.port}/bench/pass` },
  ];
  if (nginx) targets.push({ name: 'nginx', pid: nginx.pid, url: `http://127.0.0.1:${nginx.port}/bench/pass` });
  else console.log('nginx: not installed — its column is skipped');
  const rows = new Map(targets.map((t) => [t.name, [] as { user: number; sys: number; total: number }[]]));
  try {
    for (const t of targets) load(t.url, 1); // warm-up (JIT, pools)
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of round % 2 ? [...targets].reverse() : targets) {
        const [u0, s0] = cpuUs(t.pid);
        const r = load(t.url, SECONDS);
        const [u1, s1] = cpuUs(t.pid);
        if (r.errors || r.non2xx) throw new Error(`${t.name}: ${r.errors} errors, ${r.non2xx} non-2xx`);
        rows.get(t.name)!.push({ user: (u1 - u0) / r.total, sys: (s1 - s0) / r.total, total: (u1 - u0 + s1 - s0) / r.total });
      }
      console.log(`round ${round + 1} (load ${loadNow()}): ` + targets.map((t) => `${t.name} ${r1(rows.get(t.name)!.at(-1)!.total)}`).join(', ') + ' µs/req');
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    if (nginx) await rm(nginx.dir, { recursive: true, force: true });
  }
  console.log('\nmedian CPU µs/request (user + sys):');
  for (const t of targets) {
    const r = rows.get(t.name)!;
    console.log(`  ${t.name}: ${r1(med(r.map((x) => x.total)))} (${r1(med(r.map((x) => x.user)))} + ${r1(med(r.map((x) => x.sys)))})`);
  }
  const f = rows.get('facade passthrough')!.map((x) => x.total);
  const h = rows.get('probe node:http + lean')!.map((x) => x.total);
  const n = rows.get('probe net + lean')!.map((x) => x.total);
  const saving = f.map((_, i) => h[i] - n[i]);
  console.log(`paired saving of the net server leg: ${r1(med(saving))} µs/req, ${r1(100 * med(saving.map((s, i) => s / f[i])))} % of the facade's CPU`);
  const ng = rows.get('nginx')?.map((x) => x.total);
  if (ng) {
    const ratio = (a: number[]) => Math.round(med(a.map((x, i) => x / ng[i])) * 100) / 100;
    console.log(`paired median ratio to nginx: facade ${ratio(f)}×, node:http probe ${ratio(h)}×, net probe ${ratio(n)}×, facade with the saving (upper bound) ${ratio(f.map((x, i) => x - saving[i]))}×`);
  }
  console.log(`load average after: ${loadNow()}`);
}

await main();
