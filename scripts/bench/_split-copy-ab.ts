/**
 * Paired A/B of the cross-server copy with CPU accounting (issue #16): the
 * `mariadb-dump | mariadb` pipe and our stream copy (start) into a second,
 * throwaway mariadbd, interleaved, each round with the wall time and the CPU
 * of the target mariadbd (/proc/<pid>/stat: every thread), of the source
 * mariadbd, and of this process (the tool's read/encode/stream) or the pipe's
 * clients. CPU per row is robust to the shared machine's load; wall is not.
 *
 *   node scripts/bench/_split-copy-ab.ts --rows=100000 --rounds=2 --variants=dump,ours,nodefer
 *
 * Variants: `dump` (the pipe), `ours` (the tool's defaults), `nodefer` (the
 * tool with --defer-indexes off), `loaders=N`, `chunk=N` (maxChunk), `base`
 * (the tool's defaults from another checkout, `SPLIT_AB_BASE=<dir>`: e.g.
 * `git archive <commit> | tar -x -C <dir>` with node_modules linked — old and
 * new code A/B in one run).
 * Not a benchmark of record (that is `npm run bench -- split`): a tool to
 * find where the copy's time goes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createKnex, ensureDatabase } from '../../lib/db.ts';
import { migrateLatest } from '../../lib/migrate.ts';
import { processCpuMs } from './_proc-cpu.ts';
import { baseLib, dumpInto, openProbe, OURS, productService } from './_split-probe-lib.ts';

const arg = (n: string, d: string) => process.argv.find((x) => x.startsWith(`--${n}=`))?.slice(n.length + 3) ?? d;
const rows = Number(arg('rows', '100000'));
const rounds = Number(arg('rounds', '2'));
const variants = arg('variants', 'dump,ours,nodefer').split(',');
const log = (s: string) => process.stderr.write(`${s}\n`);

/** CPU ms of every thread of a process, busiest first (thread name: ms). */
function threadsCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const s = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(`${name}#${tid}`, (Number(f[11]) + Number(f[12])) * 10);
    } catch { /* thread ended */ }
  }
  return out;
}

function childrenCpuMs(): number {
  const s = readFileSync('/proc/self/stat', 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

async function main(): Promise<void> {
  const probe = await openProbe('bench_ab_src', rows);
  const { src, second, targetPid, sourcePid, total } = probe;
  try {
    log(`seeded ${total} rows; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    for (let r = 0; r < rounds; r++) {
      for (const v of variants) {
        const db = `ab_${v.replace(/\W/g, '_')}_${r}`;
        const load0 = loadavg()[0];
        const [t0, tgt0, srcCpu0, self0, kids0] = [performance.now(), processCpuMs(targetPid), processCpuMs(sourcePid), process.cpuUsage(), childrenCpuMs()];
        const th0 = threadsCpu(targetPid);
        if (v === 'dump') {
          await dumpInto(probe, db);
        } else {
          await src.raw('DROP TABLE IF EXISTS _split_state');
          const IX = ['ix_products_created', 'ix_products_price', 'ix_products_popularity', 'ix_products_status_created', 'ix_products_status_price', 'ix_products_status_popularity'];
          let readd = '';
          if (v === 'manual') {
            // the lead's idea by hand: the target created, its non-unique secondary indexes (none an FK needs) dropped, added back after
            const k = createKnex(second.dsn(db), { pool: { max: 1 } });
            await ensureDatabase(second.dsn(db));
            await migrateLatest(k, 'product');
            const [[row]] = await k.raw('SHOW CREATE TABLE products');
            readd = (String(row['Create Table']).match(/^\s*KEY `ix_products_(created|price|popularity|status_\w+)`.*$/gm) ?? []).map((l) => `ADD ${l.trim().replace(/,$/, '')}`).join(', ');
            await k.raw(`ALTER TABLE products ${IX.map((x) => `DROP KEY ${x}`).join(', ')}`);
            await k.destroy();
          }
          const [k, n] = v.split('=');
          const extra: Record<string, unknown> = {};
          if (k === 'nodefer') extra.deferIndexes = 'off';
          if (k === 'loaders') extra.copyLoaders = n;
          if (k === 'chunk') extra.maxChunk = n;
          if (k === 'workers') extra.copyWorkers = n;
          // `base`: the same copy by the code of another checkout (SPLIT_AB_BASE)
          const lib = k === 'base' ? await baseLib('variant base') : OURS;
          const ctx = lib.openContext({
            service: productService(lib, probe, db),
            opts: lib.validateOptions({ chunkSize: 5000, maxChunk: 50_000, maxThreadsRunning: 0, ...extra }),
          });
          try {
            await lib.start(ctx);
            if (readd) {
              const t1 = performance.now();
              await ctx.target.knex.raw(`ALTER TABLE products ${readd}, ALGORITHM=INPLACE, LOCK=NONE`);
              log(`  re-add ${((performance.now() - t1) / 1000).toFixed(2)} s`);
            }
          } finally {
            await lib.closeContext(ctx);
          }
        }
        const sec = (performance.now() - t0) / 1000;
        const self = process.cpuUsage(self0);
        const th1 = threadsCpu(targetPid);
        const busy = [...th1].map(([n, ms]) => [n, ms - (th0.get(n) ?? 0)] as const).filter(([, ms]) => ms > 0).sort((a, b) => b[1] - a[1]).slice(0, 4);
        const tgt = processCpuMs(targetPid) - tgt0;
        log(`round ${r} ${v.padEnd(10)} ${sec.toFixed(2)} s  ${Math.round(total / sec)} rows/s  target ${(tgt / 1000).toFixed(2)} s CPU (${((tgt * 1000) / total).toFixed(1)} µs/row)  ` +
          `source ${((processCpuMs(sourcePid) - srcCpu0) / 1000).toFixed(2)} s  tool ${((self.user + self.system) / 1e6).toFixed(2)} s  pipe clients ${((childrenCpuMs() - kids0) / 1000).toFixed(2)} s  ` +
          `load ${load0.toFixed(2)}  busiest target threads ${busy.map(([n, ms]) => `${n.split('#')[0]} ${ms}`).join(', ')}`);
      }
    }
  } finally {
    await probe.close();
  }
}

await main();
