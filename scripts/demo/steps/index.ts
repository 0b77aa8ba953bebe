/** The story, in order. */
import type { Step } from '../context.ts';
import { facadeStep } from './facade.ts';
import { monolithStep } from './monolith.ts';
import { productRoutesStep } from './product.ts';
import { productSplitStep, shopUserStep } from './splits.ts';
import { searchStep } from './search.ts';
import { jobsStep } from './jobs.ts';
import { rollbackStep } from './rollback.ts';

export const ALL_STEPS: readonly Step[] = [monolithStep, facadeStep, productRoutesStep, productSplitStep, shopUserStep, searchStep, jobsStep, rollbackStep];

/** Phase labels in story order (the summary sorts by these). */
export const PHASES = ['setup', '1 monolith', '2 facade', '3 product shadow', '3 product canary', '3 product service', '4 product split',
  '5 shop shadow', '5 shop canary', '5 shop service', '5 shop split', '5 user shadow', '5 user canary', '5 user service', '5 user split',
  '6 search shadow', '6 search canary', '6 search service', '7 jobs', '8 route rollback', '8 route forward', '8 split rollback'];
