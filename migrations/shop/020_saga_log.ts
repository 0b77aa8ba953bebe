/**
 * The shop service's saga_log in its own database: the same table the legacy
 * database carries before the split (one definition, so the two never drift).
 */
export { up, down } from '../legacy/020_saga_log.ts';
