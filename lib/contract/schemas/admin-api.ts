import { z } from 'zod';
import { compareDecimal } from '../money.ts';
import { contractStatus, id, isoDate, money, name, pageQuery, productFields, shopStatus } from './common.ts';
import { daysBetween, instant, MAX_REPORT_DAYS } from '../time.ts';

/** Items per bulk-upload call (legacy's admin route and the product service's bulk calls). */
export const MAX_BULK_ITEMS = 1000;

/** Input schemas of the admin API (pure; unit-tested). */

const slug = z.string().trim().min(1).max(100).regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be lowercase letters, digits and single dashes');
const rate = money.refine((v) => compareDecimal(v, '100.00') <= 0, 'must be at most 100');

export const shopListQuery = z.object({
  contractStatus: contractStatus.optional(),
  status: shopStatus.optional(),
  q: z.string().trim().min(1).max(100).optional(),
  ...pageQuery,
});

const shopFields = {
  name,
  slug,
  url: z.string().trim().url().max(500).nullable(),
  description: z.string().max(65_535).nullable(),
  contractStatus,
  status: shopStatus,
  commissionRate: rate,
};

export const shopCreate = z.object({
  ...shopFields,
  url: shopFields.url.optional(),
  description: shopFields.description.optional(),
  contractStatus: contractStatus.optional(),
  status: shopStatus.optional(),
  commissionRate: rate.optional(),
}).strict();

export const shopPatch = z.object(shopFields).partial().strict().refine((p) => Object.keys(p).length > 0, { message: 'send at least one field' });

export const bulkItem = z.object({
  shopId: id,
  externalId: productFields.externalId,
  name: productFields.name,
  description: productFields.description.optional(),
  price: productFields.price,
  salePrice: productFields.salePrice.optional(),
  currency: productFields.currency.optional(),
  categoryId: productFields.categoryId.optional(),
  status: z.enum(['active', 'sold_out']).optional(),
  attributes: productFields.attributes.optional(),
  images: productFields.images.optional(),
}).strict().refine((p) => p.salePrice == null || compareDecimal(p.salePrice, p.price) <= 0, { message: 'must not exceed price', path: ['salePrice'] });

export const bulkBody = z.object({
  items: z.array(bulkItem).min(1, 'send at least one item').max(MAX_BULK_ITEMS, `at most ${MAX_BULK_ITEMS} items per call`),
}).strict();

export const userListQuery = z.object({ q: z.string().trim().min(1).max(100).optional(), ...pageQuery });

export const logQuery = z.object({
  type: z.enum(['view', 'click', 'search', 'like']).optional(),
  from: instant.optional(),
  to: instant.optional(),
  productId: id.optional(),
  shopId: id.optional(),
  userId: id.optional(),
  ...pageQuery,
}).refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: 'must not be after to', path: ['from'] });

export const dailyStatsQuery = z.object({ from: isoDate, to: isoDate, shopId: id.optional() })
  .refine((q) => q.from <= q.to, { message: 'must not be after to', path: ['from'] })
  .refine((q) => daysBetween(q.from, q.to) < MAX_REPORT_DAYS, { message: `the range may span at most ${MAX_REPORT_DAYS} days`, path: ['to'] });
