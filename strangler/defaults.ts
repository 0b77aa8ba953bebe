/** Defaults shared by the facade entry point and the CLI (kept dependency-free so the CLI starts fast). */
export const DEFAULT_PORT = 8080;
export const DEFAULT_ADMIN_PORT = 8081;
/** The local development admin token: documented, matches `npm start`, refused when NODE_ENV=production. */
export const LOCAL_ADMIN_TOKEN = 'strangler-local-admin-token';
export const DEFAULT_ADMIN_URL = `http://127.0.0.1:${DEFAULT_ADMIN_PORT}`;
