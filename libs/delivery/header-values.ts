import { isSealed } from './secret-box';

/**
 * Custom header values are credentials (receivers protect their endpoints with them), so they
 * are kept like subscription secrets: sealed with the SecretBox in Postgres, opened only to build
 * a request, and shown masked everywhere else. Header names stay readable.
 *
 * Rows written before values were sealed hold plaintext; reads accept both (a plaintext value is
 * used and masked as it is) and every write seals, so a legacy value is sealed the next time its
 * subscription's headers are written (and by the API's start-up sweep, `sealLegacyHeaderValues`).
 */

export const MASK = '••••';
/** Characters a masked value keeps from the end of the real one. */
const SHOWN = 4;

/** A header map as stored (values sealed) from the values a caller gave. */
export function sealHeaderValues(headers: Record<string, string>, seal: (plaintext: string) => string): Record<string, string> {
  return mapValues(headers, seal);
}

/** The real values, for the request: sealed ones opened, legacy plaintext ones as they are. */
export function openHeaderValues(stored: Record<string, string> | null | undefined, open: (sealed: string) => string): Record<string, string> {
  return mapValues(stored ?? {}, (v) => openHeaderValue(v, open));
}

/** The map as every view, list and log shows it: names, and values masked. */
export function maskHeaderValues(stored: Record<string, string> | null | undefined, open: (sealed: string) => string): Record<string, string> {
  return mapValues(stored ?? {}, (v) => maskHeaderValue(openHeaderValue(v, open)));
}

/** `••••` and the last 4 characters; a value of 4 characters or fewer is masked whole. */
export function maskHeaderValue(value: string): string {
  return value.length > SHOWN ? MASK + value.slice(-SHOWN) : MASK;
}

/** A value that looks like what a view shows: sent back, it would replace the real one with the mask. */
export function isMaskedHeaderValue(value: string): boolean {
  return value.startsWith(MASK);
}

/** Values that still need sealing (stored before sealing existed). */
export function hasPlaintextValues(stored: Record<string, string>): boolean {
  return Object.values(stored).some((v) => !isSealed(v));
}

/** The stored map with its plaintext values sealed; sealed ones are kept as they are. */
export function sealPlaintextValues(stored: Record<string, string>, seal: (plaintext: string) => string): Record<string, string> {
  return mapValues(stored, (v) => (isSealed(v) ? v : seal(v)));
}

function openHeaderValue(stored: string, open: (sealed: string) => string): string {
  return isSealed(stored) ? open(stored) : stored;
}

function mapValues(headers: Record<string, string>, f: (v: string) => string): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, f(value)]));
}
