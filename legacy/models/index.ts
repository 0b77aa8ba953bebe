/** Shared model code of the three legacy APIs (one MySQL `legacy` database). */
export * from './db.ts';
export * from './passwords.ts';
export * from './tokens.ts';
export * from './auth.ts';
export * from './sessions.ts';
export * from './users.ts';
export * from './staff.ts';
export * from './shops.ts';
export * from './categories.ts';
export * from './products.ts';
export * from './product-writes.ts';
export * from './product-bulk.ts';
export * from './likes.ts';
export * from './bookmarks.ts';
export * from './logs.ts';
export * from './stats.ts';
export * from '../../lib/contract/money.ts';
