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
 * tool with --defer-indexes off), `loaders=N`, `chunk=N` (maxChunk).
 * Not a benchmark of record (that is `npm run bench -- split`): a tool to
 * find where the copy's time goes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { startMariaDb } from '../../test/helpers/mariadb-server.ts';
import { createKnex, ensureDatabase, dropDatabase, parseMysqlDsn, withDatabase } from '../../lib/db.ts';
import { migrateLatest } from '../../lib/migrate.ts';
import { closeContext, openContext } from '../split/lib/context.ts';
import { parseManifest, resolveService } from '../split/lib/manifest.ts';
import { validateOptions } from '../split/lib/options.ts';
import { start } from '../split/lib/start.ts';
import { processCpuMs } from './_proc-cpu.ts';

const TABLES = ['categories', 'products', 'product_images'];
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

function shell(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-o', 'pipefail', '-c', cmd], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`pipe failed (${code}): ${err.slice(0, 300)}`))));
  });
}

async function main(): Promise<void> {
  const server = withDatabase(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/legacy', undefined);
  const id = randomBytes(3).toString('hex');
  const srcDb = `bench_ab_src_${id}`;
  const src = createKnex(withDatabase(server, srcDb), { pool: { max: 2 } });
  const second = await startMariaDb();
  const targetPid = Number(readFileSync(`${second.dir}/pid`, 'utf8').trim());
  const sourcePid = Number(readFileSync('/run/mysqld/mysqld.pid', 'utf8').trim());
  try {
    await ensureDatabase(withDatabase(server, srcDb));
    await migrateLatest(src, 'legacy');
    await src.raw(`INSERT INTO shops (id, name, slug, status, contract_status) SELECT seq, CONCAT('샵 ', seq), CONCAT('shop-', seq), 'open', 'active' FROM seq_1_to_50`);
    await src.raw(`INSERT INTO categories (id, parent_id, name, slug) SELECT seq, NULL, CONCAT('카테고리 ', seq), CONCAT('cat-', seq) FROM seq_1_to_20`);
    await src.raw(`INSERT INTO products (id, shop_id, category_id, external_id, name, description, price, sale_price, currency, status, attributes, like_count, view_count, popularity_score, version, created_at)
      SELECT seq, 1 + seq % 50, IF(seq % 7 = 0, NULL, 1 + seq % 20), CONCAT('ext-', seq), CONCAT('오버핏 셔츠 ', seq, ' 👕'),
             IF(seq % 3 = 0, NULL, CONCAT('설명 ', REPEAT('가', seq % 40))), 1000 + (seq % 900) * 100, IF(seq % 4 = 0, 900 + (seq % 900) * 90, NULL),
             'KRW', ELT(1 + seq % 3, 'active', 'hidden', 'sold_out'),
             IF(seq % 5 = 0, NULL, CONCAT('{"size": ["S", "M", "L"], "color": "c', seq % 13, '", "n": ', seq, '}')),
             seq % 1000, seq % 100000, (seq % 10007) / 7, 1, TIMESTAMP('2024-01-01 00:00:00') + INTERVAL seq SECOND + INTERVAL (seq % 1000000) MICROSECOND
        FROM seq_1_to_${rows}`);
    await src.raw(`INSERT INTO product_images (id, product_id, url, position) SELECT seq, seq * 4, CONCAT('https://img.example/', seq, '.jpg'), seq % 5 FROM seq_1_to_${Math.floor(rows / 4)}`);
    for (const t of TABLES) await src.raw(`ANALYZE TABLE ${t}`);
    const total = 20 + rows + Math.floor(rows / 4);
    log(`seeded ${total} rows; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const c = parseMysqlDsn(server);
    const d = parseMysqlDsn(second.dsn());
    for (let r = 0; r < rounds; r++) {
      for (const v of variants) {
        const db = `ab_${v.replace(/\W/g, '_')}_${r}`;
        const load0 = loadavg()[0];
        const [t0, tgt0, srcCpu0, self0, kids0] = [performance.now(), processCpuMs(targetPid), processCpuMs(sourcePid), process.cpuUsage(), childrenCpuMs()];
        const th0 = threadsCpu(targetPid);
        if (v === 'dump') {
          const k = createKnex(second.dsn(db), { pool: { max: 1 } });
          await ensureDatabase(second.dsn(db));
          await migrateLatest(k, 'product');
          await k.destroy();
          await shell(`mariadb-dump -h ${c.host} -P ${c.port} -u ${c.user} --single-transaction --quick --no-create-info --skip-triggers --skip-add-locks ${srcDb} ${TABLES.join(' ')} | mariadb -h ${d.host} -P ${d.port} -u ${d.user} ${db}`);
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
          const ctx = openContext({
            service: resolveService(parseManifest({ version: 1, source: withDatabase(server, srcDb), services: { product: { domain: 'product', target: second.dsn(db), migrations: 'product', tables: TABLES,
              crossingForeignKeys: { 'products.fk_products_shop': { action: 'drop' }, 'likes.fk_likes_product': { action: 'drop' } } } } }), 'product'),
            opts: validateOptions({ chunkSize: 5000, maxChunk: 50_000, maxThreadsRunning: 0, ...extra }),
          });
          try {
            await start(ctx);
            if (readd) {
              const t1 = performance.now();
              await ctx.target.knex.raw(`ALTER TABLE products ${readd}, ALGORITHM=INPLACE, LOCK=NONE`);
              log(`  re-add ${((performance.now() - t1) / 1000).toFixed(2)} s`);
            }
          } finally {
            await closeContext(ctx);
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
    await src.destroy();
    await dropDatabase(withDatabase(server, srcDb)).catch(() => undefined);
    await second.stop();
  }
}

await main();
