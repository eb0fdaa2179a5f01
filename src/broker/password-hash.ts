import { pbkdf2Sync, randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes of broker accounts. Two per password, made together when it is set (the clear
 * password is never stored):
 * - **scrypt** (node:crypto), what gridpilot itself verifies (the aedes broker): a salted hash with
 *   its parameters recorded in the string, `$scrypt$ln=14,r=8,p=1$<salt b64>$<hash b64>`
 *   (PHC-style: `ln` = log2 N). Verifying reads the parameters from the string, so raising the
 *   defaults later keeps old hashes valid.
 * - **mosquitto's own** `$7$<iterations>$<salt b64>$<hash b64>` (PBKDF2-HMAC-SHA512, 12-byte salt,
 *   64-byte hash — the format mosquitto 2.0's `mosquitto_passwd` writes), for the password files
 *   gridpilot generates for mosquitto, which cannot read scrypt.
 */

/** scrypt cost: N = 2^14, r = 8, p = 1 (~16 MiB, tens of ms): the OWASP minimum for scrypt. */
export const SCRYPT_DEFAULTS = { ln: 14, r: 8, p: 1 } as const;
const SCRYPT_SALT_BYTES = 16;
const SCRYPT_KEY_BYTES = 32;

/**
 * PBKDF2 iterations of the mosquitto hashes. mosquitto_passwd 2.0 writes 101; each CONNECT costs
 * mosquitto's single thread one hash, so a much higher count turns a flood of bad CONNECTs into a
 * stalled broker. 1,000 costs ~1 ms per CONNECT here (docs: "Accounts and access").
 */
export const MOSQUITTO_PBKDF2_ITERATIONS = 1000;

interface ScryptParams {
  ln: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

const SCRYPT_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function parseScrypt(text: string): ScryptParams | null {
  const m = SCRYPT_RE.exec(text);
  if (!m) return null;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(m[4] ?? '', 'base64');
  const hash = Buffer.from(m[5] ?? '', 'base64');
  if (salt.length < 8 || hash.length < 16) return null;
  return { ln, r, p, salt, hash };
}

const scryptOptions = (p: Pick<ScryptParams, 'ln' | 'r' | 'p'>): ScryptOptions => ({ N: 2 ** p.ln, r: p.r, p: p.p, maxmem: 256 * 2 ** p.ln * p.r + 1024 * 1024 });

/** Whether `text` is a scrypt hash this module can verify. */
export function isScryptHash(text: string): boolean {
  return parseScrypt(text) !== null;
}

/** A new salted scrypt hash of `password` with the default parameters. */
export function hashPasswordScrypt(password: string): string {
  const salt = randomBytes(SCRYPT_SALT_BYTES);
  const hash = scryptSync(password, salt, SCRYPT_KEY_BYTES, scryptOptions(SCRYPT_DEFAULTS));
  const { ln, r, p } = SCRYPT_DEFAULTS;
  return `$scrypt$ln=${ln},r=${r},p=${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** A stand-in hash verified when the username is unknown, so timing does not reveal which names exist. */
const DUMMY_HASH = hashPasswordScrypt(randomBytes(16).toString('hex'));

/**
 * Checks `password` against a scrypt hash, off the event loop (libuv's thread pool). A null or
 * unreadable hash is checked against a dummy (same cost) and fails.
 */
export async function verifyPasswordScrypt(password: Buffer | string, stored: string | null): Promise<boolean> {
  const parsed = stored === null ? null : parseScrypt(stored);
  const p = parsed ?? (parseScrypt(DUMMY_HASH) as ScryptParams);
  const derived = await new Promise<Buffer>((resolve, reject) => {
    scrypt(password, p.salt, p.hash.length, scryptOptions(p), (err, key) => (err ? reject(err) : resolve(key)));
  });
  return timingSafeEqual(derived, p.hash) && parsed !== null;
}

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
