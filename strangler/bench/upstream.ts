/** Benchmark upstream: a minimal node:http JSON server on N ports (argv[2], default 1). Prints {"ports":[...]}. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from(JSON.stringify({
  items: Array.from({ length: 8 }, (_, i) => ({ id: i + 1, name: `product ${i + 1}`, price: '19.90', shopId: 3, liked: false })),
  page: 1,
}));
const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
};
const ports: number[] = [];
for (let i = 0; i < (Number(process.argv[2]) || 1); i++) {
  const s = createServer({ keepAliveTimeout: 60_000 }, handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  ports.push((s.address() as AddressInfo).port);
}
process.stdout.write(JSON.stringify({ ports }) + '\n');
