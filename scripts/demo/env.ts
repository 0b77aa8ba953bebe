/**
 * The demo's own world: uniquely named databases on the configured server, a
 * unique Redis prefix and ownership channel, free local ports and a scratch
 * folder — so a demo never touches a running `npm start` stack. Naming is
 * pure; only freePorts and the folder touch the machine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withDatabase } from '../../lib/db.ts';
import { freePorts } from '../../lib/free-ports.ts';

export const DOMAIN_DBS = ['product', 'shop', 'user', 'search'] as const;
export type DomainDb = (typeof DOMAIN_DBS)[number];

export const PORT_NAMES = [
  'userApi', 'adminApi', 'merchantApi', 'facade', 'facadeAdmin',
  'productHttp', 'shopHttp', 'userHttp', 'searchHttp', 'productThrift', 'shopThrift', 'userThrift', 'searchThrift',
] as const;
export type PortName = (typeof PORT_NAMES)[number];

export interface DemoNames {
  runId: string;
  legacyDb: string;
  serviceDbs: Record<DomainDb, string>;
  redisPrefix: string;
  ownershipChannel: string;
  /** BullMQ key prefix of the demo's event and job queues. */
  queuePrefix: string;
}

export interface DemoEnv extends DemoNames {
  serverDsn: string;
  redisUrl: string;
  legacyDsn: string;
  serviceDsns: Record<DomainDb, string>;
  ports: Record<PortName, number>;
  dir: string;
}

export function newRunId(now = Date.now()): string {
  return `${now.toString(36)}${randomBytes(2).toString('hex')}`;
}

/** Database and key names of one run (prefix `demo` for `npm run demo`, `t_sys` for the system test). Pure. */
export function demoNames(runId: string, prefix = 'demo'): DemoNames {
  if (!/^[a-z0-9]{1,24}$/.test(runId)) throw new Error('runId must be 1-24 lowercase letters or digits');
  if (!/^[a-z][a-z0-9_]{0,15}$/.test(prefix)) throw new Error('prefix must be a lowercase identifier of at most 16 characters');
  const base = `${prefix}_${runId}`;
  return {
    runId,
    legacyDb: `${base}_legacy`,
    serviceDbs: { product: `${base}_product_svc`, shop: `${base}_shop_svc`, user: `${base}_user_svc`, search: `${base}_search_svc` },
    redisPrefix: `${prefix}:${runId}:`,
    ownershipChannel: `${prefix}:${runId}:ownership`,
    queuePrefix: `${prefix}-${runId}`,
  };
}

export async function createDemoEnv(opts: { serverDsn: string; redisUrl: string; prefix?: string; runId?: string }): Promise<DemoEnv> {
  const names = demoNames(opts.runId ?? newRunId(), opts.prefix);
  const list = await freePorts(PORT_NAMES.length);
  const ports = Object.fromEntries(PORT_NAMES.map((n, i) => [n, list[i]])) as Record<PortName, number>;
  const dir = await mkdtemp(join(tmpdir(), `${names.legacyDb}-`));
  return {
    ...names,
    serverDsn: opts.serverDsn,
    redisUrl: opts.redisUrl,
    legacyDsn: withDatabase(opts.serverDsn, names.legacyDb),
    serviceDsns: Object.fromEntries(DOMAIN_DBS.map((d) => [d, withDatabase(opts.serverDsn, names.serviceDbs[d])])) as Record<DomainDb, string>,
    ports,
    dir,
  };
}
