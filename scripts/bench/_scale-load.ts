/**
 * Load generator for `npm run bench -- facade-scale`, in its own process:
 * autocannon spreading its connections round-robin over the given URLs (no
 * load balancer). argv: urls (comma-separated) connections seconds. Prints one
 * JSON line, with the CPU this process used during the run (µs, user+system)
 * so the bench can account for every core on the machine.
 */
import autocannon from 'autocannon';

const [urls, connections, seconds] = [process.argv[2]!.split(','), Number(process.argv[3]), Number(process.argv[4])];
const c0 = process.cpuUsage();
const r = await autocannon({ url: urls as unknown as string, connections, duration: seconds, pipelining: 1 });
const c = process.cpuUsage(c0);
process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, total: r.requests.total, cpuUs: c.user + c.system }) + '\n');
