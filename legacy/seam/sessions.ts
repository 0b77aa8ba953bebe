import * as models from '../models/sessions.ts';
import type { Db } from '../models/db.ts';
import { viaService } from './context.ts';

/**
 * legacy/models/sessions.ts behind the seam: shopper tokens are verified by
 * the user service when it owns users (its sessions table is the live one
 * after the split). Staff sessions stay legacy-owned.
 */
export * from '../models/sessions.ts';

export async function userIdForToken(db: Db, token: string, now: Date): Promise<number | null> {
  const api = viaService(db, 'user');
  if (!api) return models.userIdForToken(db, token, now);
  try {
    return Number((await api.user.verifySession(undefined, token)).user.id);
  } catch (err) {
    const code = (err as { code?: string })?.code;
    if (code === 'UNAUTHENTICATED' || code === 'VALIDATION_FAILED') return null;
    throw err;
  }
}
