import { isMaskedHeaderValue, MASK } from './header-values';
import type { StreamPlace } from '../domain/ordering';
import type { SignatureHeaders } from './signing';

/**
 * The header set of one attempt, and the rules for a subscription's custom headers. The admin
 * API validates with `validateCustomHeaders` (422 on problems); `buildHeaders` applies the same
 * rules again so a row written before a rule existed can never break or spoof a request.
 */

export const MAX_CUSTOM_HEADERS = 50;
export const MAX_CUSTOM_HEADER_VALUE_BYTES = 4 * 1024;

/**
 * Names Herald owns. Signature and `x-herald-*` headers are what receivers trust; framing and
 * hop-by-hop headers would corrupt the request (undici refuses several of them outright);
 * `content-encoding` would lie about the body.
 */
const RESERVED_NAMES = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'host',
  'user-agent',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-connection',
  // W3C Trace Context of the producer: Herald passes the event's own on.
  'traceparent',
]);
const RESERVED_PREFIXES = ['webhook-', 'x-herald-'];

/** RFC 9110 `token`. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const LINE_BREAK_OR_NUL = /[\r\n\0]/;
/** Visible ASCII, space and tab: what every receiver's parser reads the same way. */
const SAFE_VALUE = /^[\t\x20-\x7e]*$/;

export function isReservedHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_NAMES.has(lower) || RESERVED_PREFIXES.some((p) => lower.startsWith(p));
}

export interface BuildHeadersInput {
  signature: SignatureHeaders;
  eventType: string;
  attemptNumber: number;
  customHeaders?: Record<string, string> | null;
  /** The event's W3C traceparent, sent as is when the producer gave one. */
  traceparent?: string | null;
  /** Herald's version, for `user-agent: Herald/<version>`. */
  userAgentVersion: string;
  /** A `fifo` delivery's place in its stream: `x-herald-ordering-key` and `x-herald-sequence`. */
  stream?: StreamPlace;
}

/** Custom headers first, then Herald's own, which a custom header can never replace. */
export function buildHeaders(input: BuildHeadersInput): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.customHeaders ?? {})) {
    if (headerProblem(name, value) === undefined && !isReservedHeader(name)) headers[name] = value;
  }
  return {
    ...headers,
    'content-type': 'application/json',
    'user-agent': `Herald/${input.userAgentVersion}`,
    ...input.signature,
    'x-herald-event-type': input.eventType,
    'x-herald-attempt': String(input.attemptNumber),
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
    ...(input.stream ? { 'x-herald-ordering-key': input.stream.key, 'x-herald-sequence': String(input.stream.sequence) } : {}),
  };
}

/** Every problem with a subscription's `headers`, worded for an API error; empty when valid. */
export function validateCustomHeaders(headers: unknown): string[] {
  if (headers === undefined) return [];
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    return ['headers must be an object mapping header names to string values'];
  }
  const entries = Object.entries(headers as Record<string, unknown>);
  const problems: string[] = [];
  if (entries.length > MAX_CUSTOM_HEADERS) problems.push(`at most ${MAX_CUSTOM_HEADERS} custom headers are allowed (got ${entries.length})`);
  const seen = new Set<string>();
  for (const [name, value] of entries) {
    const problem = headerProblem(name, value);
    if (problem) {
      problems.push(problem);
      continue;
    }
    if (isReservedHeader(name)) {
      problems.push(`header "${name}" is set by Herald and cannot be overridden`);
      continue;
    }
    const lower = name.toLowerCase();
    if (seen.has(lower)) problems.push(`header "${name}" is given more than once (names are case-insensitive)`);
    seen.add(lower);
  }
  return problems;
}

function headerProblem(name: string, value: unknown): string | undefined {
  if (!HEADER_NAME.test(name)) return `"${printable(name)}" is not a valid header name`;
  if (typeof value !== 'string') return `header "${name}" must have a string value`;
  // Checked before the general rule: a line break is an injection attempt, not a typo.
  if (LINE_BREAK_OR_NUL.test(value)) return `header "${name}" contains a line break or NUL character`;
  // A view's masked value sent back (GET, edit, PATCH): it must not silently become the value.
  if (isMaskedHeaderValue(value)) return `header "${name}" holds a masked value (${MASK}…); header values are write-only: send the real value of every header`;
  if (!SAFE_VALUE.test(value)) return `header "${name}" must contain only printable ASCII characters`;
  if (Buffer.byteLength(value) > MAX_CUSTOM_HEADER_VALUE_BYTES) return `header "${name}" is longer than ${MAX_CUSTOM_HEADER_VALUE_BYTES} bytes`;
  return undefined;
}

/** Names go back into error messages: show control characters instead of emitting them. */
function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
