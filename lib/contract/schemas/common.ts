import { z } from 'zod';
import { decimal2 } from '../format.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../paging.ts';
import { compareDecimal } from '../money.ts';

/** Input schemas shared by the three APIs (pure; unit-tested). */

export const ID_MAX = Number.MAX_SAFE_INTEGER;
export const id = z.coerce.number().int().min(1).max(ID_MAX);
export const idParam = z.object({ id });

export const pageQuery = {
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
  size: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
};

const MONEY_RE = /^\d{1,10}(\.\d{1,2})?$/;
/** Money in: a JSON number or a decimal string, ≥ 0, ≤ 2 decimals, fits DECIMAL(12,2); out: '39000.00'. */
export const money = z.union([z.string(), z.number()])
  .refine((v) => MONEY_RE.test(typeof v === 'number' ? String(v) : v.trim()), { message: 'must be a non-negative amount with at most 2 decimals and 10 integer digits' })
  .transform((v) => decimal2(typeof v === 'number' ? String(v) : v.trim()));

/** Query-string money (always a string there). */
export const moneyQuery = z.string().trim().regex(MONEY_RE, 'must be a non-negative amount with at most 2 decimals').transform((v) => decimal2(v));

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;
export const isoDate = z.string().regex(DATE_RE, 'must be a date YYYY-MM-DD').refine((s) => {
  const t = Date.parse(`${s}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === s;
}, 'must be a real calendar date');

export const email = z.string().trim().max(191).pipe(z.email('must be an email address'));
export const password = z.string().min(8, 'must be at least 8 characters').max(200);
export const name = z.string().trim().min(1).max(100);

export const loginBody = z.object({ email: z.string().trim().min(1).max(191), password: z.string().min(1).max(200) });

export const productStatus = z.enum(['active', 'hidden', 'sold_out']);
const attributes = z.record(z.string(), z.unknown()).refine((v) => JSON.stringify(v).length <= 16_000, 'must serialise to at most 16000 characters');
const imageUrl = z.string().trim().url().max(500);

/** Product fields as merchants and admins write them (camelCase in, columns out in the model). */
export const productFields = {
  externalId: z.string().trim().min(1).max(64),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(65_535).nullable(),
  price: money,
  salePrice: money.nullable(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO currency code'),
  categoryId: id.nullable(),
  status: productStatus,
  attributes,
  images: z.array(imageUrl).max(20),
};

export const productCreate = z.object({
  ...productFields,
  description: productFields.description.optional(),
  salePrice: productFields.salePrice.optional(),
  currency: productFields.currency.optional(),
  categoryId: productFields.categoryId.optional(),
  status: productFields.status.optional(),
  attributes: productFields.attributes.optional(),
  images: productFields.images.optional(),
}).strict().refine((p) => p.salePrice == null || compareDecimal(p.salePrice, p.price) <= 0, { message: 'must not exceed price', path: ['salePrice'] });

export const productPatch = z.object(productFields).partial().strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'send at least one field' });

export const shopStatus = z.enum(['open', 'closed']);
export const contractStatus = z.enum(['pending', 'active', 'suspended', 'terminated']);

