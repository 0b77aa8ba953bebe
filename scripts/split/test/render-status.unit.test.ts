import { expect } from 'chai';
import { renderStatus } from '../lib/render.ts';
import type { ServiceStatus } from '../lib/status.ts';

function status(over: Partial<ServiceStatus>): ServiceStatus {
  return {
    service: 'product', phase: 'copied', switching: null, copied: 1, rowsCopied: 10, copyPath: null, pendingIndexes: [],
    backlog: { forward: 0, reverse: 0 }, poison: { forward: { count: 0, rows: [] }, reverse: { count: 0, rows: [] } },
    applied: null, verify: null, ownership: null, triggers: { source: {}, target: {} }, capture: null, lastCutover: null,
    source: 'mysql://root@127.0.0.1:3306/legacy', target: 'mysql://root@127.0.0.1:3307/product_svc', ...over,
  } as ServiceStatus;
}

describe('split-db status text: source triggers', () => {
  it('says why binlog capture has no row triggers on the source before the cutover', () => {
    const text = renderStatus(status({ capture: { mode: 'binlog', why: 'log_bin=ON, binlog_format=ROW' }, triggers: { source: { products: 'none' }, target: {} } }));
    expect(text).to.match(/triggers: source none \(binlog capture reads the binlog; the fence triggers are installed at cutover\); target none/);
  });

  it('trigger capture and a raised fence are reported as they are', () => {
    expect(renderStatus(status({ capture: { mode: 'triggers', why: 'log_bin=OFF' }, triggers: { source: { products: 'none' }, target: {} } }))).to.match(/triggers: source none; target none/);
    expect(renderStatus(status({ capture: { mode: 'binlog', why: 'x' }, triggers: { source: { products: 'fence' }, target: { products: 'capture' } } }))).to.match(/triggers: source fence on products; target capture on products/);
  });
});
