import { createHash } from 'node:crypto';
import { maskHeaderValue } from './header-values';

/**
 * What one attempt actually sent, as its Attempt row keeps it: the operator debugging a receiver
 * sees that attempt's request, not one rebuilt from today's settings. Never a credential in
 * clear: custom header values are masked as every view masks them, the signatures too; the body
 * is kept as its SHA-256 and size (it holds event data and `user_defined`).
 */
export interface SentRequest {
  /** Every header sent, by name: Herald's public ones as sent, the others masked (`••••` + last 4). */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body's UTF-8 bytes: compare with `sha256sum` of what the receiver got. */
  bodySha256: string;
  bodyBytes: number;
  /** Which of the subscription's secrets signed, in the order of `webhook-signature`: `current`, then `previous` during a rotation. */
  signatureKeyIds: SignatureKeyId[];
}

export type SignatureKeyId = 'current' | 'previous';

/** Headers Herald sets whose values say nothing secret: shown as sent. */
const PUBLIC_HEADERS = new Set([
  'content-type',
  'user-agent',
  'webhook-id',
  'webhook-timestamp',
  'x-herald-event-type',
  'x-herald-attempt',
  'traceparent',
  // A fifo delivery's place in its stream: what a receiver checks for gaps and duplicates.
  'x-herald-ordering-key',
  'x-herald-sequence',
]);

/** The record of a request about to go out (headers as sent, signature included). */
export function sentRequest(request: { headers: Record<string, string>; body: string; signatureKeyIds?: SignatureKeyId[] }): SentRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (PUBLIC_HEADERS.has(lower)) headers[name] = value;
    else if (lower === 'webhook-signature') headers[name] = maskSignatures(value);
    else headers[name] = maskHeaderValue(value);
  }
  const signatures = (request.headers['webhook-signature'] ?? '').split(' ').filter(Boolean).length;
  return {
    headers,
    bodySha256: createHash('sha256').update(request.body, 'utf8').digest('hex'),
    bodyBytes: Buffer.byteLength(request.body, 'utf8'),
    // Requests sealed before key ids were kept: the signing order is current first, then previous.
    signatureKeyIds: request.signatureKeyIds ?? (['current', 'previous'] as const).slice(0, signatures),
  };
}

/** `v1,<mac> v1,<mac>` → `v1,••••abcd v1,••••wxyz`: the scheme and how many, not the MACs. */
function maskSignatures(value: string): string {
  return value
    .split(' ')
    .filter(Boolean)
    .map((s) => {
      const comma = s.indexOf(',');
      return comma < 0 ? maskHeaderValue(s) : `${s.slice(0, comma + 1)}${maskHeaderValue(s.slice(comma + 1))}`;
    })
    .join(' ');
}
