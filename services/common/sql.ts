/**
 * Small SQL helpers the services' repositories share: legacy's own
 * (legacy/models/db.ts), so paging, counting, LIKE escaping and DATETIME(6)
 * text are the same on both sides of a cutover.
 */
export {
  countOf, escapeLike, isDuplicateKey, offset as offsetOf, toDbDatetime, type Counted, type Paging,
} from '../../legacy/models/db.ts';

export function isForeignKeyViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'ER_NO_REFERENCED_ROW_2' || e?.code === 'ER_NO_REFERENCED_ROW';
}
