/** The legacy public JSON contract: pure presenters from plain rows. */
export * from './format.ts';
export * from './product.ts';
export * from './shop.ts';
export * from './user.ts';
export * from './activity.ts';
export * from './paging.ts';
export * from './error.ts';
export type * from './rows.ts';
