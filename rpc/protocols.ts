/** The wire protocols the plumbing speaks; both ends of a connection must agree. */
import { FastCompactProtocol } from './compact-protocol.ts';
import { FastBinaryProtocol, type ProtocolClass } from './protocol.ts';

export type ProtocolName = 'binary' | 'compact';

export const PROTOCOLS: Record<ProtocolName, ProtocolClass> = {
  binary: FastBinaryProtocol,
  compact: FastCompactProtocol,
};

export function protocolClass(name: ProtocolName | undefined): ProtocolClass {
  const p = PROTOCOLS[name ?? 'binary'];
  if (!p) throw new Error(`unknown Thrift protocol "${name}" (binary | compact)`);
  return p;
}
