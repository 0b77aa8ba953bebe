/**
 * Demo accounts the seeder creates. Generated users and merchants share the
 * demo password of their kind: hashing one scrypt per row would take hours at
 * 200 k users, so one hash per credential is computed and reused.
 */
export const DEMO_USER = { email: 'demo@zigzag.test', password: 'zigzag1234', name: '데모 사용자' } as const;
export const DEMO_ADMIN = { email: 'admin@zigzag.test', password: 'admin1234', name: '관리자 Admin' } as const;
export const DEMO_OPERATOR = { email: 'ops@zigzag.test', password: 'admin1234', name: '운영자 Ops' } as const;
export const DEMO_MERCHANT = { email: 'merchant@zigzag.test', password: 'merchant1234', name: '데모샵 사장님' } as const;

/** Emails of generated accounts (ids are 1-based; id 1 is the demo account). */
export const userEmail = (id: number): string => (id === 1 ? DEMO_USER.email : `user${id}@zigzag.test`);
export const merchantEmail = (shopId: number): string => (shopId === 1 ? DEMO_MERCHANT.email : `merchant${shopId}@zigzag.test`);

export interface DemoCredential {
  role: string;
  email: string;
  password: string;
  api: string;
}

/** What `npm start` prints and the docs list. */
export function demoCredentials(): DemoCredential[] {
  return [
    { role: 'shopper (user id 1)', email: DEMO_USER.email, password: DEMO_USER.password, api: 'user API POST /api/sessions' },
    { role: 'admin (superuser)', email: DEMO_ADMIN.email, password: DEMO_ADMIN.password, api: 'admin API POST /admin/sessions' },
    { role: 'merchant (shop 1)', email: DEMO_MERCHANT.email, password: DEMO_MERCHANT.password, api: 'merchant API POST /merchant/sessions' },
    { role: 'any generated shopper', email: 'user<id>@zigzag.test', password: DEMO_USER.password, api: 'user API' },
    { role: 'any generated merchant', email: 'merchant<shopId>@zigzag.test', password: DEMO_MERCHANT.password, api: 'merchant API' },
  ];
}
