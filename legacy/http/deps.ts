import type { Knex } from 'knex';
import type { Logger } from '../../lib/logger.ts';
import type { Clock } from '../models/db.ts';

/** What every legacy app factory needs. */
export interface AppDeps {
  knex: Knex;
  logger: Logger;
  clock?: Clock;
}
