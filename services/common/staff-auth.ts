import type { RequestHandler, Response } from 'express';
import { AppError } from '../../lib/errors.ts';
import type { StaffRow } from '../../lib/contract/rows.ts';
import { bearerToken } from './http-edge.ts';

/**
 * Admin and merchant auth on the service edges, exactly as the legacy admin
 * and merchant APIs answer it: 401 without a live staff session, 403 for a
 * session of the other kind, then (merchant) the merchant's shop id.
 */
export interface StaffVerifier {
  verify(token: string): Promise<{ kind: 'admin' | 'merchant'; subjectId: number } | null>;
}

export function requireStaff(staff: StaffVerifier, kind: 'admin' | 'merchant'): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (!token) throw new AppError('UNAUTHENTICATED');
    const s = await staff.verify(token);
    if (!s) throw new AppError('UNAUTHENTICATED', 'The session token is invalid or expired');
    if (s.kind !== kind) throw new AppError('FORBIDDEN', `This API needs a ${kind} session`);
    res.locals.staffId = s.subjectId;
    next();
  };
}

/** After requireStaff(merchant): the merchant's shop (merchants belong to the shop service). */
export function merchantShop(getMerchant: (id: number) => Promise<StaffRow | undefined>): RequestHandler {
  return async (_req, res, next) => {
    const m = await getMerchant(staffIdOf(res));
    if (!m) throw new AppError('UNAUTHENTICATED', 'The merchant no longer exists');
    res.locals.shopId = Number(m.shop_id);
    next();
  };
}

export function staffIdOf(res: Response): number {
  return res.locals.staffId as number;
}

export function merchantShopIdOf(res: Response): number {
  return res.locals.shopId as number;
}
