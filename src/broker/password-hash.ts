import { pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export { hashPasswordScrypt, isScryptHash, SCRYPT_DEFAULTS, verifyPasswordScrypt } from '../core/password-hash.ts';

/**
 * Password hashes of broker accounts. Two per password, made together when it is set (the clear
 * password is never stored):
 * - **scrypt**, what gridpilot itself verifies (the aedes broker): core/password-hash.ts, shared
 *   with the web UI's accounts.
 * - **mosquitto's own** `$7$<iterations>$<salt b64>$<hash b64>` (PBKDF2-HMAC-SHA512, 12-byte salt,
 *   64-byte hash — the format mosquitto 2.0's `mosquitto_passwd` writes), for the password files
 *   gridpilot generates for mosquitto, which cannot read scrypt.
 */

/**
 * PBKDF2 iterations of the mosquitto hashes. mosquitto_passwd 2.0 writes 101; each CONNECT costs
 * mosquitto's single thread one hash, so a much higher count turns a flood of bad CONNECTs into a
 * stalled broker. 1,000 costs ~1 ms per CONNECT here (docs: "Accounts and access").
 */
export const MOSQUITTO_PBKDF2_ITERATIONS = 1000;

/** mosquitto 2.0's password-file hash of `password` (`$7$`: PBKDF2-HMAC-SHA512). */
export function hashPasswordMosquitto(password: string, iterations = MOSQUITTO_PBKDF2_ITERATIONS): string {
  const salt = randomBytes(12);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Checks a password against a `$7$` hash (tests and `gridpilot broker list` sanity checks). */
export function verifyPasswordMosquitto(password: string, stored: string): boolean {
  const m = /^\$7\$(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[3] ?? '', 'base64');
  const got = pbkdf2Sync(password, Buffer.from(m[2] ?? '', 'base64'), Number(m[1]), expected.length, 'sha512');
  return got.length === expected.length && timingSafeEqual(got, expected);
}
