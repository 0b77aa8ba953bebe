import { createServer, type AddressInfo, type Server } from 'node:net';

/** Asks the OS for n distinct free TCP ports on 127.0.0.1 (held together, then released). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<Server>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** One free TCP port on 127.0.0.1 (for a process that must know its port before it starts). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}
