/**
 * The client-facing contract legacy and the services must agree on byte for byte: JSON shapes and presenters
 * (pure, from plain rows), input schemas (schemas/), validation (validate.ts), error bodies, paging, time
 * windows. No database access: legacy/ and services/ both import it; it imports only lib/ and zod.
 */
export * from './format.ts';
export * from './product.ts';
export * from './shop.ts';
export * from './user.ts';
export * from './activity.ts';
export * from './paging.ts';
export * from './error.ts';
export type * from './rows.ts';
