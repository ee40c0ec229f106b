import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** Portal-session tokens start with this, so a leaked one is recognisable (and scannable). */
export const PORTAL_TOKEN_PREFIX = 'hpt_';
/** A session lasts an hour unless asked otherwise, and a week at most. */
export const PORTAL_SESSION_DEFAULT_SECONDS = 3600;
export const PORTAL_SESSION_MAX_SECONDS = 7 * 24 * 3600;

/** What a portal-session token says. */
export interface PortalClaims {
  tenantId: string;
  /** The tenant's creation time: a token outlives neither its tenant nor a re-created one of the same id. */
  tenantCreatedAt: number;
  issuedAt: Date;
  expiresAt: Date;
}

interface Payload {
  v: 1;
  tid: string;
  tc: number;
  iat: number;
  exp: number;
}

/** Signing keys are derived, never HERALD_SECRET_KEY itself: that key also seals secrets. */
function signingKey(secretKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secretKey, 'herald', 'herald portal-session token v1', 32));
}

/**
 * Short-lived tenant tokens, `hpt_<base64url payload>.<base64url HMAC-SHA256>`, signed with a
 * key derived (HKDF) from HERALD_SECRET_KEY and verified with HERALD_SECRET_KEY_PREVIOUS too, so
 * rotating the key keeps sessions that are already out working until they expire.
 */
export class PortalTokens {
  private readonly current: Buffer;
  private readonly keys: Buffer[];

  constructor(secretKeys: { current: Buffer; previous?: Buffer }) {
    this.current = signingKey(secretKeys.current);
    this.keys = [this.current, ...(secretKeys.previous ? [signingKey(secretKeys.previous)] : [])];
  }

  issue(claims: PortalClaims): string {
    const payload: Payload = { v: 1, tid: claims.tenantId, tc: claims.tenantCreatedAt, iat: seconds(claims.issuedAt), exp: seconds(claims.expiresAt) };
    const body = `${PORTAL_TOKEN_PREFIX}${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${body}.${mac(this.current, body).toString('base64url')}`;
  }

  /** The claims of a token this server signed and that has not expired; undefined for anything else. */
  verify(token: string, now: Date): PortalClaims | undefined {
    if (!token.startsWith(PORTAL_TOKEN_PREFIX) || token.length > 1024) return undefined;
    const dot = token.lastIndexOf('.');
    if (dot < 0) return undefined;
    const body = token.slice(0, dot);
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    // Every key is tried, so the time does not tell which one (if any) signed it.
    let valid = false;
    for (const key of this.keys) {
      const expected = mac(key, body);
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) valid = true;
    }
    if (!valid) return undefined;
    const payload = parse(body.slice(PORTAL_TOKEN_PREFIX.length));
    if (!payload || payload.exp * 1000 <= now.getTime()) return undefined;
    return { tenantId: payload.tid, tenantCreatedAt: payload.tc, issuedAt: new Date(payload.iat * 1000), expiresAt: new Date(payload.exp * 1000) };
  }
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);
const mac = (key: Buffer, body: string): Buffer => createHmac('sha256', key).update(body).digest();

function parse(encoded: string): Payload | undefined {
  try {
    const p = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Partial<Payload>;
    const ok = p.v === 1 && typeof p.tid === 'string' && [p.tc, p.iat, p.exp].every((n) => typeof n === 'number' && Number.isFinite(n));
    return ok ? (p as Payload) : undefined;
  } catch {
    return undefined;
  }
}
