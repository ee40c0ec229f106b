/**
 * The session's token lives in sessionStorage only: gone when the tab closes, never in a cookie
 * (no other origin's request can carry it) and never left in the URL.
 */
const KEY = 'herald.console.token';
const TENANT_KEY = 'herald.console.tenant';
/** 'link' when the token came from a portal-session link: a refusal then means the link expired. */
const VIA_KEY = 'herald.console.via';

/**
 * A portal-session link is `/console/#token=…`: the token is read from the fragment (which no
 * server ever sees), stored, and removed from the address bar and history at once.
 */
export function takeTokenFromLocation(loc: Location = window.location, history: History = window.history): string | null {
  const m = /^#token=([^&]+)(?:&(.*))?$/.exec(loc.hash);
  if (!m) return null;
  const token = decodeURIComponent(m[1]);
  const rest = m[2] ? `#${m[2]}` : '#/webhooks';
  history.replaceState(null, '', `${loc.pathname}${loc.search}${rest}`);
  return token;
}

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string, via: 'link' | 'sign-in'): void {
  sessionStorage.setItem(KEY, token);
  sessionStorage.setItem(VIA_KEY, via);
}

export function cameByLink(): boolean {
  return sessionStorage.getItem(VIA_KEY) === 'link';
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(TENANT_KEY);
  sessionStorage.removeItem(VIA_KEY);
}

/** The tenant an operator is looking at (not a tenant session's: that one comes from whoami). */
export function storedTenant(): string {
  return sessionStorage.getItem(TENANT_KEY) ?? '';
}

export function storeTenant(id: string): void {
  if (id) sessionStorage.setItem(TENANT_KEY, id);
  else sessionStorage.removeItem(TENANT_KEY);
}
