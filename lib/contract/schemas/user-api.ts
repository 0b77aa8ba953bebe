import { z } from 'zod';
import { compareDecimal } from '../money.ts';
import { email, id, moneyQuery, name, pageQuery, password } from './common.ts';

/** Input schemas of the user API (pure; unit-tested). */

export const signUpBody = z.object({
  email,
  password,
  name,
  gender: z.enum(['female', 'male', 'other']).nullable().optional(),
  birthYear: z.number().int().min(1900).max(2100).nullable().optional(),
}).strict();

export const productSort = z.enum(['newest', 'price_asc', 'price_desc', 'popularity']);

export const productListQuery = z.object({
  shopId: id.optional(),
  categoryId: id.optional(),
  minPrice: moneyQuery.optional(),
  maxPrice: moneyQuery.optional(),
  sort: productSort.default('newest'),
  ...pageQuery,
}).refine((q) => q.minPrice === undefined || q.maxPrice === undefined || compareDecimal(q.minPrice, q.maxPrice) <= 0,
  { message: 'must not exceed maxPrice', path: ['minPrice'] });

export const searchQuery = z.object({
  q: z.string().trim().min(1, 'must not be empty').max(100),
  ...pageQuery,
});

export const pageOnlyQuery = z.object(pageQuery);

export const likeBody = z.object({ productId: id }).strict();
export const bookmarkBody = z.object({ shopId: id }).strict();
export const clickBody = z.object({ source: z.string().trim().max(50).optional() }).strict().default({});
export const productIdParam = z.object({ productId: id });
export const shopIdParam = z.object({ shopId: id });
