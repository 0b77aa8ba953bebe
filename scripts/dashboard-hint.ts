/** The line `npm start` prints under its table: where the control room is and which token opens it (pure). */
import { DEFAULT_ADMIN_PORT, LOCAL_ADMIN_TOKEN } from '../strangler/defaults.ts';

export function dashboardHint(env: NodeJS.ProcessEnv, names: string[]): string | null {
  if (!names.includes('facade')) return null;
  const port = env.STRANGLER_ADMIN_PORT?.trim() || String(DEFAULT_ADMIN_PORT);
  const token = env.STRANGLER_ADMIN_TOKEN?.trim() ? 'the STRANGLER_ADMIN_TOKEN you set' : `the local development token "${LOCAL_ADMIN_TOKEN}"`;
  return `Control room (dashboard): http://localhost:${port}/dashboard/  (log in with ${token})`;
}
