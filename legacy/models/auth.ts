import { hashPassword, verifyPassword } from './passwords.ts';

let dummyHash: Promise<string> | undefined;

/**
 * Checks a password against stored credentials. An unknown email still costs
 * one scrypt, so response time does not reveal which emails exist.
 */
export async function checkCredentials(creds: { id: number; password_hash: string } | undefined, password: string): Promise<number | null> {
  if (!creds) {
    dummyHash ??= hashPassword('not-a-real-password');
    await verifyPassword(password, await dummyHash);
    return null;
  }
  return (await verifyPassword(password, creds.password_hash)) ? Number(creds.id) : null;
}
