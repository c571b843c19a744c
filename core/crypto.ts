import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

/** AES-256-GCM with a key derived from `secret`; output is iv.tag.ciphertext in base64url. */
export function encrypt(secret: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret), iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

export function decrypt(secret: string, sealed: string): string {
  const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body) throw new Error('sealed value is malformed');
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(secret), iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

/**
 * Keys by the secret they are derived from. A process seals with one or two secrets, and
 * deriving and importing the key again for each `.env` download showed in its profile.
 */
const derived = new Map<string, KeyObject>();

function deriveKey(secret: string): KeyObject {
  let key = derived.get(secret);
  if (!key) {
    key = createSecretKey(createHash('sha256').update(`strata-bundle:${secret}`).digest());
    derived.set(secret, key);
  }
  return key;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** The SHA-256 of `value`, for comparing with safeEqualDigests. */
export function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Compares two digests without leaking where they differ. */
export function safeEqualDigests(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

/** Compares two strings without leaking where they differ. */
export function safeEqual(a: string, b: string): boolean {
  return safeEqualDigests(digest(a), digest(b));
}
