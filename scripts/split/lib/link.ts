import type { SplitContext } from './context.ts';
import { useSqlCopy } from './context.ts';
import type { Logger } from '../../../lib/logger.ts';
import type { Side } from './side.ts';
import type { WritePath } from './loader.ts';
import type { TableShape } from './sql.ts';
import type { Phase } from './state.ts';

/** A direction of data flow: forward (legacy → service) before cutover, reverse after it. */
export interface Link {
  direction: 'forward' | 'reverse';
  service: string;
  from: Side;
  to: Side;
  /** Both databases on one server: statements can name both, and one transaction spans both. */
  sql: boolean;
  shapes: Map<string, TableShape>;
  /** Stream copy only: how chunks are written into the target (loader.ts; chosen when the copy starts). */
  write?: WritePath;
  /** Where the applier reports poison rows (warn). */
  log?: Logger;
}

export function forwardLink(ctx: SplitContext, shapes: Map<string, TableShape>): Link {
  return { direction: 'forward', service: ctx.service.name, from: ctx.source, to: ctx.target, sql: useSqlCopy(ctx), shapes, log: ctx.log };
}

export function reverseLink(ctx: SplitContext, shapes: Map<string, TableShape>): Link {
  return { direction: 'reverse', service: ctx.service.name, from: ctx.target, to: ctx.source, sql: useSqlCopy(ctx), shapes, log: ctx.log };
}

/** The direction changes flow in now: reverse once cut over, forward before (what verify checks and repair mends). */
export function currentLink(ctx: SplitContext, phase: Phase, shapes: Map<string, TableShape>): Link {
  return phase === 'cutover' ? reverseLink(ctx, shapes) : forwardLink(ctx, shapes);
}
