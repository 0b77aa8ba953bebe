/**
 * The jobs' port sets. `thrift` (default): likes, products and shops through
 * the services' batch Thrift calls, so the jobs touch no service's tables and
 * need no owner database URL; a split changes nothing for them. `db`: each
 * owner's tables through its own live database (no cross-owner joins either).
 * In both, the legacy-owned `logs` and `shop_daily_stats` are on the legacy
 * database. Used by the events process (index.ts); legacy's jobs build their
 * own (legacy/jobs/ports.ts) over the same clients (rpc/jobs).
 */
import type { Knex } from 'knex';
import type { JobClients } from '../../rpc/jobs/clients.ts';
import type { LiveDb } from '../common/live-db.ts';
import { KnexEventLog, KnexLikeLog, KnexProductCatalog, KnexShopDirectory, KnexShopStatsSink } from './adapters.ts';
import type { JobPorts } from '../../rpc/jobs/ports.ts';
import { ThriftLikeLog, ThriftProductCatalog, ThriftShopDirectory, type BatchSizes } from '../../rpc/jobs/thrift-adapters.ts';

export { callCounts, countsSince, createJobClients, type Endpoint, type JobClients } from '../../rpc/jobs/clients.ts';

export function thriftJobPorts(legacyKnex: Knex, clients: Pick<JobClients, 'product' | 'shop' | 'user'>, sizes: BatchSizes = {}): JobPorts {
  return {
    events: new KnexEventLog(legacyKnex),
    likes: new ThriftLikeLog(clients.user, sizes),
    products: new ThriftProductCatalog(clients.product, sizes),
    shops: new ThriftShopDirectory(clients.shop),
    stats: new KnexShopStatsSink(legacyKnex),
  };
}

export function dbJobPorts(legacyKnex: Knex, owners: Record<'product' | 'shop' | 'user', LiveDb>): JobPorts {
  return {
    events: new KnexEventLog(legacyKnex),
    likes: new KnexLikeLog(owners.user),
    products: new KnexProductCatalog(owners.product),
    shops: new KnexShopDirectory(owners.shop),
    stats: new KnexShopStatsSink(legacyKnex),
  };
}
