/**
 * The likes indexes in the user service's own database: the same change the
 * legacy database gets before the split (one definition, so the two never drift).
 */
export { up, down } from '../legacy/040_likes_created_index.ts';
