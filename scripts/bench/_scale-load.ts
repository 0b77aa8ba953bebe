/**
 * Load generator for `npm run bench -- facade-scale`, in its own process:
 * autocannon spreading its connections round-robin over the given URLs (no
 * load balancer). argv: urls (comma-separated) connections seconds. Prints one JSON line.
 */
import autocannon from 'autocannon';

const [urls, connections, seconds] = [process.argv[2]!.split(','), Number(process.argv[3]), Number(process.argv[4])];
const r = await autocannon({ url: urls as unknown as string, connections, duration: seconds, pipelining: 1 });
process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, total: r.requests.total }) + '\n');
