/** The story, in order. */
import type { Step } from '../context.ts';
import { facadeStep } from './facade.ts';
import { monolithStep } from './monolith.ts';

export const ALL_STEPS: readonly Step[] = [monolithStep, facadeStep];

/** Phase labels in story order (the summary sorts by these). */
export const PHASES = ['setup', '1 monolith', '2 facade'];
