/**
 * Issue 15 probe (not a benchmark of `npm run bench`; files starting with `_` are not listed): what would a
 * byte-level client side save the facade, and what does the fast server leg (STRANGLER_FAST_SERVER=1) save? Prices node:http's server leg on a proxied request by pairing two
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
import { rm } from 'node:fs/promises';
import { children, loadNow, med, pairedCpuRounds, r1, startChild, startNginx, type CpuTarget } from './_facade-procs.ts';

const ROUNDS = Number(process.argv[2]) || 6;
const SECONDS = Number(process.argv[3]) || 3;

async function main(): Promise<void> {
  console.log(`load average before: ${loadNow()}`);
  const up = await startChild('upstream.ts', ['2']);
  const [legacyPort, servicePort] = up.info.ports!;
  const facade = await startChild('facade-proc.ts', [String(legacyPort), String(servicePort)], { STRANGLER_FAST_SERVER: '0' });
  const fastFacade = await startChild('facade-proc.ts', [String(legacyPort), String(servicePort)], { STRANGLER_FAST_SERVER: '1' });
  const httpProbe = await startChild('server-leg-probe.ts', ['http', String(legacyPort)]);
  const rawProbe = await startChild('server-leg-probe.ts', ['raw', String(legacyPort)]);
  const nginx = await startNginx(legacyPort);
  const targets: CpuTarget[] = [
    { name: 'facade passthrough', pid: facade.child.pid!, url: `http://127.0.0.1:${facade.info.port}/bench/pass` },
    { name: 'facade fast server leg', pid: fastFacade.child.pid!, url: `http://127.0.0.1:${fastFacade.info.port}/bench/pass` },
    { name: 'probe node:http + lean', pid: httpProbe.child.pid!, url: `http://127.0.0.1:${httpProbe.info.port}/bench/pass` },
    { name: 'probe net + lean', pid: rawProbe.child.pid!, url: `http://127.0.0.1:${rawProbe.info.port}/bench/pass` },
  ];
  if (nginx) targets.push({ name: 'nginx', pid: nginx.pid, url: `http://127.0.0.1:${nginx.port}/bench/pass` });
  else console.log('nginx: not installed — its column is skipped');
  let rows;
  try {
    rows = pairedCpuRounds(targets, ROUNDS, SECONDS);
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
  const ff = rows.get('facade fast server leg')!.map((x) => x.total);
  console.log(`paired median ratio fast server leg / node:http facade: ${Math.round(med(ff.map((x, i) => x / f[i])) * 1000) / 1000}`);
  const h = rows.get('probe node:http + lean')!.map((x) => x.total);
  const n = rows.get('probe net + lean')!.map((x) => x.total);
  const saving = f.map((_, i) => h[i] - n[i]);
  console.log(`paired saving of the net server leg: ${r1(med(saving))} µs/req, ${r1(100 * med(saving.map((s, i) => s / f[i])))} % of the facade's CPU`);
  const ng = rows.get('nginx')?.map((x) => x.total);
  if (ng) {
    const ratio = (a: number[]) => Math.round(med(a.map((x, i) => x / ng[i])) * 100) / 100;
    console.log(`paired median ratio to nginx: facade ${ratio(f)}×, facade with the fast server leg ${ratio(ff)}×, node:http probe ${ratio(h)}×, net probe ${ratio(n)}×, facade with the saving (upper bound) ${ratio(f.map((x, i) => x - saving[i]))}×`);
  }
  console.log(`load average after: ${loadNow()}`);
}

await main();
