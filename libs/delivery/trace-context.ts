/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the producer's `traceparent`, kept
 * with the event and sent to the receiver with every attempt, so a delivery shows up in the
 * producer's trace. Herald passes it on as received; it opens no span of its own.
 */

export interface Traceparent {
  /** The header as it is stored and sent (lower case). */
  header: string;
  traceId: string;
  parentId: string;
  flags: string;
}

// version 00: `00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>`; a later version may append fields.
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** The parsed header, or undefined when absent or malformed (all-zero ids, version ff, …). */
export function parseTraceparent(value: string | undefined | null): Traceparent | undefined {
  if (typeof value !== 'string' || value.length > 512) return undefined;
  const header = value.trim().toLowerCase();
  const m = TRACEPARENT.exec(header);
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, rest] = m;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return { header: version === '00' ? header : `00-${traceId}-${parentId}-${flags}`, traceId, parentId, flags };
}
