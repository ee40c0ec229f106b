import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): what a receiver using the
 * `standardwebhooks` or `svix` verifier checks. Stage "sign" of an attempt.
 */

export const SECRET_PREFIX = 'whsec_';

/** The header set the spec defines; names are lowercase, as the spec writes them. */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A new signing secret: 32 random bytes, the size of the HMAC-SHA256 key it becomes. */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * `whsec_` followed by canonical base64 of 24 to 64 bytes (the spec's bounds). Canonical, because
 * Node's decoder skips junk that the verifiers' strict decoders reject: a secret we accept must
 * give the receiver the same key.
 */
export function isValidSecret(secret: string): boolean {
  return secretKey(secret) !== undefined;
}

/** `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the decoded secret. */
export function sign(secret: string, webhookId: string, timestampSeconds: number, body: string): string {
  const key = secretKey(secret);
  if (!key) throw new TypeError('signing secret must be whsec_ followed by base64 of 24 to 64 bytes');
  if (!Number.isSafeInteger(timestampSeconds)) throw new TypeError('timestamp must be whole unix seconds');
  const mac = createHmac('sha256', key).update(`${webhookId}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/**
 * The three signature headers of one attempt. One signature per secret, current first: during a
 * rotation the receiver may still hold the old secret, and the verifier accepts any match.
 */
export function signatureHeaders(input: { webhookId: string; timestamp: Date; body: string; secrets: readonly string[] }): SignatureHeaders {
  const secrets = [...new Set(input.secrets)];
  if (secrets.length === 0) throw new TypeError('at least one signing secret is required');
  const seconds = Math.floor(input.timestamp.getTime() / 1000);
  return {
    'webhook-id': input.webhookId,
    'webhook-timestamp': String(seconds),
    'webhook-signature': secrets.map((s) => sign(s, input.webhookId, seconds, input.body)).join(' '),
  };
}

function secretKey(secret: string): Buffer | undefined {
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) return undefined;
  const encoded = secret.slice(SECRET_PREFIX.length);
  const key = Buffer.from(encoded, 'base64');
  if (key.toString('base64') !== encoded) return undefined;
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}
