import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption (AES-256-GCM) for what must not be readable where it is stored:
 * subscription secrets and custom header values in Postgres, and the prepared request (signed
 * headers, body with `user_defined` values) that sits in Temporal history.
 *
 * Sealed format: `v1.<keyId>.<base64url iv>.<base64url ciphertext+tag>`. The key id (first 8 hex
 * characters of sha256(key)) says which key sealed a value, so HERALD_SECRET_KEY can be rotated:
 * new values are sealed with the current key, and old ones still open with the previous key.
 */

export interface SecretBox {
  seal(plaintext: string): string;
  /** Throws SecretBoxError when the value is malformed, tampered with, or sealed with an unknown key. */
  open(sealed: string): string;
}

export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12; // the size GCM is specified for
const TAG_BYTES = 16;

export function createSecretBox(keys: { current: Buffer; previous?: Buffer }): SecretBox {
  const current = { id: keyId(checkKey(keys.current, 'current')), key: keys.current };
  const byId = new Map([[current.id, current.key]]);
  if (keys.previous) byId.set(keyId(checkKey(keys.previous, 'previous')), keys.previous);

  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES); // random per value: GCM must never reuse an iv with one key
      const header = `${VERSION}.${current.id}`;
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      cipher.setAAD(Buffer.from(header)); // binds version and key id to the ciphertext
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${header}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },

    open(sealed) {
      const parts = typeof sealed === 'string' ? sealed.split('.') : [];
      if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretBoxError('not a sealed value (expected v1.<keyId>.<iv>.<ciphertext>)');
      const [version, id, ivText, bodyText] = parts;
      const key = byId.get(id);
      if (!key) throw new SecretBoxError(`sealed with key ${id}, which is neither the current nor the previous HERALD_SECRET_KEY`);
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) throw new SecretBoxError('sealed value is truncated');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(Buffer.from(`${version}.${id}`));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('sealed value failed authentication (tampered with, or sealed with another key)');
      }
    },
  };
}

/**
 * The sealed shape, as a regular expression JavaScript and Postgres (`~`) read the same way: 12 iv
 * bytes are 16 base64url characters, and the ciphertext holds at least the 16-byte tag (22).
 */
export const SEALED_PATTERN = '^v1\\.[0-9a-f]{8}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{22,}$';
const SEALED_SHAPE = new RegExp(SEALED_PATTERN);

/** Tells a sealed value from plaintext written before its field was sealed; opening is still what checks it. */
export function isSealed(value: string): boolean {
  return SEALED_SHAPE.test(value);
}

/** First 8 hex characters of sha256(key): names a key without revealing it. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

function checkKey(key: Buffer, which: string): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== 32) throw new SecretBoxError(`the ${which} secret key must be 32 bytes`);
  return key;
}
