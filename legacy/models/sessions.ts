import { toDbDatetime, type Db } from './db.ts';
import { hashToken, newToken, SESSION_TTL_MS, tokenSubject } from './tokens.ts';

export type StaffKind = 'admin' | 'merchant';

/** Opens a shopper session; returns the bearer token (only its hash is stored). */
export async function createUserSession(db: Db, userId: number, now: Date): Promise<string> {
  const token = newToken(userId);
  await db('sessions').insert({
    token_hash: hashToken(token),
    user_id: userId,
    created_at: toDbDatetime(now),
    expires_at: toDbDatetime(new Date(now.getTime() + SESSION_TTL_MS)),
  });
  return token;
}

/** The user id of a live session, or null (unknown, expired or malformed token). */
export async function userIdForToken(db: Db, token: string, now: Date): Promise<number | null> {
  const subject = tokenSubject(token);
  if (subject === null) return null;
  const row = await db('sessions').where({ token_hash: hashToken(token) }).andWhere('expires_at', '>', toDbDatetime(now)).first('user_id');
  return row && Number(row.user_id) === subject ? subject : null;
}

export async function createStaffSession(db: Db, kind: StaffKind, subjectId: number, now: Date): Promise<string> {
  const token = newToken(subjectId);
  await db('staff_sessions').insert({
    token_hash: hashToken(token),
    kind,
    subject_id: subjectId,
    created_at: toDbDatetime(now),
    expires_at: toDbDatetime(new Date(now.getTime() + SESSION_TTL_MS)),
  });
  return token;
}

/** A live staff session of any kind (the caller checks the kind to tell 401 from 403). */
export async function staffSessionForToken(db: Db, token: string, now: Date): Promise<{ kind: StaffKind; subjectId: number } | null> {
  const subject = tokenSubject(token);
  if (subject === null) return null;
  const row = await db('staff_sessions').where({ token_hash: hashToken(token) }).andWhere('expires_at', '>', toDbDatetime(now)).first('kind', 'subject_id');
  if (!row || Number(row.subject_id) !== subject) return null;
  return { kind: row.kind as StaffKind, subjectId: subject };
}
