/**
 * The processes the facade benchmarks start, shared by `npm run bench -- facade` and the paired CPU probes
 * (_facade-ab.ts, _facade-server-leg.ts): servers from strangler/bench/ that print one JSON line when ready, nginx
 * as a one-worker keep-alive proxy, the load generator, and interleaved rounds of CPU per request from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { processCpuUs } from './_proc-cpu.ts';

export const benchDir = fileURLToPath(new URL('../../strangler/bench/', import.meta.url));

/** Every child started through here, so the caller can stop them all. */
export const children: ChildProcess[] = [];

/** Starts `script` (relative to strangler/bench/, or absolute) and resolves with the JSON line it prints when ready. */
export function startChild(script: string, args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcess; info: any }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve(benchDir, script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent', ...env } });
    children.push(child);
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (line) => {
      try {
        done({ child, info: JSON.parse(line) });
      } catch (err) {
        fail(err);
      }
    });
    child.once('exit', (code) => fail(new Error(`${script} exited with ${code}`)));
  });
}

export function waitPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((done, fail) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        done();
      });
      s.on('error', () => {
        s.destroy();
        if (Date.now() > deadline) fail(new Error(`port ${port} did not open`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** nginx, one worker, keep-alive to the upstream; null when nginx is not installed. The caller removes `dir`. */
export async function startNginx(upstreamPort: number): Promise<{ port: number; dir: string; pid: number } | null> {
  const which = spawnSync('which', ['nginx']);
  if (which.status !== 0) return null;
  const bin = which.stdout.toString().trim();
  const dir = await mkdtemp(join(tmpdir(), 'strangler-bench-nginx-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  await writeFile(join(dir, 'nginx.conf'), `
worker_processes 1;
master_process off;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream up { server 127.0.0.1:${upstreamPort}; keepalive 128; }
  server {
    listen 127.0.0.1:${port};
    location / { proxy_pass http://up; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }
}
`);
  const child = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  children.push(child);
  await waitPort(port);
  return { port, dir, pid: child.pid! };
}

/** One throughput run of strangler/bench/load.ts (32 connections; `body` bytes with each request when given), waited for. */
export function loadSync(url: string, seconds: number, method = 'GET', body = 0): { total: number; errors: number; non2xx: number } {
  const r = spawnSync(process.execPath, [join(benchDir, 'load.ts'), 'throughput', url, '32', String(seconds), method, String(body)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`load generator exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

export const med = (a: readonly number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
export const r1 = (x: number) => Math.round(x * 10) / 10;
export const loadNow = () => loadavg().map((x) => x.toFixed(2)).join(' ');

export interface CpuTarget {
  name: string;
  pid: number;
  url: string;
}
export type CpuRow = { user: number; sys: number; total: number };

/**
 * CPU per request (µs, user + sys of the serving process over the requests served) of each target, after a 1 s
 * warm-up, in `rounds` interleaved rounds (the order reverses every other round), each round printed with the load.
 */
export function pairedCpuRounds(targets: readonly CpuTarget[], rounds: number, seconds: number, method = 'GET', body = 0): Map<string, CpuRow[]> {
  const rows = new Map(targets.map((t) => [t.name, [] as CpuRow[]]));
  for (const t of targets) loadSync(t.url, 1, method, body); // warm-up (JIT, pools)
  for (let round = 0; round < rounds; round++) {
    for (const t of round % 2 ? [...targets].reverse() : targets) {
      const before = processCpuUs(t.pid);
      const r = loadSync(t.url, seconds, method, body);
      const after = processCpuUs(t.pid);
      if (r.errors || r.non2xx) throw new Error(`${t.name}: ${r.errors} errors, ${r.non2xx} non-2xx`);
      const user = (after.user - before.user) / r.total;
      const sys = (after.sys - before.sys) / r.total;
      rows.get(t.name)!.push({ user, sys, total: user + sys });
    }
    console.log(`round ${round + 1} (load ${loadNow()}): ` + targets.map((t) => `${t.name} ${r1(rows.get(t.name)!.at(-1)!.total)}`).join(', ') + ' µs/req');
  }
  return rows;
}
