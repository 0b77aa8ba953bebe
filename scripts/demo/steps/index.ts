/** The story, in order. */
import type { Step } from '../context.ts';
import { facadeStep } from './facade.ts';
import { monolithStep } from './monolith.ts';
import { productRoutesStep } from './product.ts';
import { productSplitStep, shopUserStep } from './splits.ts';

export const ALL_STEPS: readonly Step[] = [monolithStep, facadeStep, productRoutesStep, productSplitStep, shopUserStep];

/** Phase labels in story order (the summary sorts by these). */
export const PHASES = ['setup', '1 monolith', '2 facade', '3 product shadow', '3 product canary', '3 product service', '4 product split',
  '5 shop shadow', '5 shop canary', '5 shop service', '5 shop split', '5 user shadow', '5 user canary', '5 user service', '5 user split'];
