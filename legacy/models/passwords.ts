/**
 * Password hashing for the monolith is the project's one implementation
 * (lib/password.ts: scrypt with bounded parameters, Unicode-normalised input,
 * constant-time compare), so legacy and the user service always agree on
 * every stored hash.
 */
export { hashPassword, verifyPassword } from '../../lib/password.ts';
