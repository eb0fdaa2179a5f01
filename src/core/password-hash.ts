import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes with scrypt (node:crypto), for every account gridpilot checks itself (the web
 * UI's, the aedes broker's): salted, its parameters recorded in the string,
 * `$scrypt$ln=14,r=8,p=1$<salt b64>$<hash b64>` (PHC-style: `ln` = log2 N). Verifying reads the
 * parameters from the string, so raising the defaults later keeps old hashes valid.
 */

/** Passwords shorter than this are refused where they are set. */
export const MIN_PASSWORD_LENGTH = 8;

/** What is wrong with a new password, or null when it may be used. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > 1024) return 'a password has at most 1024 characters';
  return null;
}

/** scrypt cost: N = 2^14, r = 8, p = 1 (~16 MiB, tens of ms): the OWASP minimum for scrypt. */
export const SCRYPT_DEFAULTS = { ln: 14, r: 8, p: 1 } as const;
const SCRYPT_SALT_BYTES = 16;
const SCRYPT_KEY_BYTES = 32;

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
