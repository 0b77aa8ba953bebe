/**
 * The product, shop and user services in their own process for
 * `npm run bench -- service-cpu` (test/parity/stack.ts: real Thrift between
 * them, HTTP edges on free ports), so /proc accounts their CPU apart from
 * the load generator's. argv: legacy DSN. Prints one JSON line with the ports;
 * stops on SIGTERM.
 */
import { startServiceStack } from '../../test/parity/stack.ts';

const stack = await startServiceStack({ legacyDsn: process.argv[2]!, callTimeoutMs: 10_000 });
const ports = (s: { httpPort: number; thriftPort: number }) => ({ http: s.httpPort, thrift: s.thriftPort });
process.stdout.write(JSON.stringify({ product: ports(stack.product), shop: ports(stack.shop), user: ports(stack.user) }) + '\n');
process.once('SIGTERM', () => { void stack.close().finally(() => process.exit(0)); });
