/**
 * Builds the seam's dependencies for the legacy scheduler and CLI: the
 * ownership registry on the legacy database (re-read at every run, so no
 * Redis or polling is needed here) and, on first use only, Thrift clients
 * for the via-services version.
 */
import type { Knex } from 'knex';
import { createMysqlOwnershipRegistry, type OwnershipRegistry } from '../../lib/ownership/index.ts';
import { parseHostPort } from '../../rpc/endpoints.ts';
import { createJobClients, type JobClients } from '../../rpc/jobs/clients.ts';
import type { JobPorts } from '../../rpc/jobs/ports.ts';
import { legacyJobPorts } from './ports.ts';
import type { SeamDeps } from './seam.ts';

export interface JobsSeamEnv {
  PRODUCT_THRIFT: string;
  SHOP_THRIFT: string;
  USER_THRIFT: string;
  JOBS_CALL_TIMEOUT_MS: number;
}

export interface OpenedSeam {
  deps: SeamDeps;
  close(): Promise<void>;
}

export async function openJobsSeam(
  knex: Knex, env: JobsSeamEnv,
  opts: Pick<SeamDeps, 'whileColocated' | 'afterSplit' | 'skipReason' | 'lockWaitSeconds' | 'params' | 'now'> & { registry?: OwnershipRegistry; ports?: JobPorts },
): Promise<OpenedSeam> {
  const { registry: given, ports: fixed, ...choices } = opts;
  const registry = given ?? await createMysqlOwnershipRegistry({ knex, pollMs: 0 });
  let clients: JobClients | undefined;
  const ports = () => {
    if (fixed) return fixed;
    clients ??= createJobClients({ product: parseHostPort(env.PRODUCT_THRIFT), shop: parseHostPort(env.SHOP_THRIFT), user: parseHostPort(env.USER_THRIFT) }, { timeoutMs: env.JOBS_CALL_TIMEOUT_MS });
    return legacyJobPorts(knex, clients);
  };
  return {
    deps: { ...choices, legacyKnex: knex, registry, ports },
    async close() {
      await clients?.close();
      if (!given) await registry.close();
    },
  };
}
