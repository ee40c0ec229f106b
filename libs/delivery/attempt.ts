/**
 * The stages of one HTTP try, shared by the engine's activities and the API's test send, so a
 * test attempt can never differ from a real one: prepare (build + sign) → send → record (the
 * Attempt row). Each stage is a function of its inputs; loading and storing are the callers'.
 */
import { SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import type { StreamPlace } from '../domain/ordering';
import type { AttemptTrigger, PayloadFormat } from '../domain/types';
import { ATTR, refAttributes, traceparentOf, type TraceRefs } from '../observability/tracing';
import { openHeaderValues } from './header-values';
import { buildHeaders } from './headers';
import type { HttpSender, SendOutcome } from './http-sender';
import { buildBody, type PayloadEvent } from './payload';
import { sentRequest, type SentRequest, type SignatureKeyId } from './sent-request';
import { signatureHeaders } from './signing';

/** Stored response bodies are cut to this many characters. */
export const EXCERPT_LIMIT = 4 * 1024;

/** What one HTTP try came to, with when it ran. A failed try is data, never an exception. */
export interface AttemptOutcome extends SendOutcome {
  startedAt: string;
  finishedAt: string;
  /** What went out (masked, body as hash and size). Absent when nothing did (an interruption) and in older histories. */
  request?: SentRequest;
}

/** What an attempt needs from a Subscription (the entity satisfies it). */
export interface AttemptSubscription {
  url: string;
  payloadFormat: PayloadFormat;
  userDefined: Record<string, unknown>;
  /** Custom headers as stored: values sealed (or plaintext, in rows from before sealing). */
  headers: Record<string, string>;
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  previousSecretExpiresAt: Date | null;
}

/** The exact bytes sent: headers (signature included) and body. */
export interface AttemptRequest {
  headers: Record<string, string>;
  body: string;
  /** Which secrets signed, in signature order (absent in requests sealed before it was kept). */
  signatureKeyIds?: SignatureKeyId[];
}

/** The secrets that sign now: the current one, plus a rotated-out one until it expires. */
export function signingSecrets(subscription: AttemptSubscription, open: (sealed: string) => string, now: Date): string[] {
  return signingKeys(subscription, open, now).map((k) => k.secret);
}

/** The signing secrets with their key ids; a previous secret equal to the current one signs once. */
function signingKeys(subscription: AttemptSubscription, open: (sealed: string) => string, now: Date): { id: SignatureKeyId; secret: string }[] {
  const keys: { id: SignatureKeyId; secret: string }[] = [{ id: 'current', secret: open(subscription.secretCiphertext) }];
  if (subscription.previousSecretCiphertext && subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt > now) {
    const previous = open(subscription.previousSecretCiphertext);
    if (previous !== keys[0].secret) keys.push({ id: 'previous', secret: previous });
  }
  return keys;
}

/** Stage "prepare": the body in the subscription's format, its headers (custom values opened), signed at `now`. */
export function prepareRequest(input: {
  subscription: AttemptSubscription;
  event: PayloadEvent;
  /** `webhook-id`: the delivery id (stable across attempts), or the attempt id of a test send. */
  webhookId: string;
  attemptNumber: number;
  now: Date;
  open: (sealed: string) => string;
  version: string;
  /** A `fifo` delivery's place in its stream, sent as headers. */
  stream?: StreamPlace;
}): AttemptRequest {
  const { subscription, event, now } = input;
  const body = buildBody(subscription.payloadFormat, event, subscription.userDefined);
  const keys = signingKeys(subscription, input.open, now);
  const headers = buildHeaders({
    signature: signatureHeaders({ webhookId: input.webhookId, timestamp: now, body, secrets: keys.map((k) => k.secret) }),
    eventType: event.type,
    attemptNumber: input.attemptNumber,
    customHeaders: openHeaderValues(subscription.headers, input.open),
    traceparent: event.traceparent,
    userAgentVersion: input.version,
    stream: input.stream,
  });
  return { headers, body, signatureKeyIds: keys.map((k) => k.id) };
}

/** Whom an attempt is for: sealed with its request, so the send stage's span can name it. */
export interface AttemptRefs extends TraceRefs {
  attemptNumber: number;
  trigger: AttemptTrigger;
}

/** The request as the prepare stage seals it for the workflow history (`refs` absent in requests sealed before tracing). */
export interface SealedAttemptRequest extends AttemptRequest {
  refs?: AttemptRefs;
}

/** The attempt's span, when the worker traces: its tracer and whom the attempt is for. */
export interface AttemptTrace {
  tracer: Tracer;
  refs?: AttemptRefs;
}

/** Stage "send": the HTTP call and nothing else; every result, good or bad, comes back as data. */
export async function sendRequest(
  sender: HttpSender,
  url: string,
  request: AttemptRequest,
  opts: { clock?: () => Date; signal?: AbortSignal; trace?: AttemptTrace } = {},
): Promise<AttemptOutcome> {
  const send = async (headers: Record<string, string>): Promise<AttemptOutcome> => {
    const startedAt = (opts.clock ?? (() => new Date()))();
    const outcome = await sender.send({ url, headers, body: request.body }, opts.signal);
    return {
      ...outcome,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(startedAt.getTime() + outcome.durationMs).toISOString(),
      request: sentRequest({ ...request, headers }),
    };
  };
  if (!opts.trace) return send(request.headers);
  return tracedSend(opts.trace, url, request, send);
}

/**
 * The attempt as an HTTP client span, whose context the receiver gets in `traceparent` (it
 * replaces the producer's, which is this span's ancestor). Attributes are ids, the attempt's
 * number, status code and outcome: never the URL's path or query, a header value or the body.
 */
function tracedSend(
  { tracer, refs }: AttemptTrace,
  url: string,
  request: AttemptRequest,
  send: (headers: Record<string, string>) => Promise<AttemptOutcome>,
): Promise<AttemptOutcome> {
  const target = new URL(url);
  const attributes = {
    ...(refs ? { ...refAttributes(refs), [ATTR.attempt]: refs.attemptNumber, [ATTR.trigger]: refs.trigger } : {}),
    'http.request.method': 'POST',
    'server.address': target.hostname,
    'server.port': Number(target.port || (target.protocol === 'https:' ? 443 : 80)),
  };
  return tracer.startActiveSpan('POST', { kind: SpanKind.CLIENT, attributes }, async (span) => {
    try {
      const outcome = await send({ ...request.headers, traceparent: traceparentOf(span.spanContext()) });
      span.setAttribute(ATTR.outcome, outcome.ok ? 'succeeded' : 'failed');
      if (outcome.statusCode !== null) span.setAttribute('http.response.status_code', outcome.statusCode);
      if (outcome.errorKind) span.setAttribute('error.type', outcome.errorKind);
      if (!outcome.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.errorKind ?? `HTTP ${outcome.statusCode}` });
      return outcome;
    } finally {
      span.end();
    }
  });
}

/** An Attempt row as stored (the entity satisfies it). */
export interface AttemptRow {
  id: string;
  deliveryId: string | null;
  subscriptionId: string;
  number: number;
  trigger: AttemptTrigger;
  url: string;
  ok: boolean;
  statusCode: number | null;
  errorKind: AttemptOutcome['errorKind'];
  errorMessage: string | null;
  responseExcerpt: string | null;
  durationMs: number;
  startedAt: Date;
  finishedAt: Date;
  /** What was sent (libs/delivery/sent-request.ts); null when nothing was, or recorded before it was kept. */
  request: SentRequest | null;
}

/** Stage "record": the Attempt row an outcome makes (response truncated, duration in whole ms). */
export function attemptRow(
  input: Pick<AttemptRow, 'id' | 'deliveryId' | 'subscriptionId' | 'number' | 'trigger' | 'url'> & { outcome: AttemptOutcome },
): AttemptRow {
  const { outcome } = input;
  return {
    id: input.id,
    deliveryId: input.deliveryId,
    subscriptionId: input.subscriptionId,
    number: input.number,
    trigger: input.trigger,
    url: input.url,
    ok: outcome.ok,
    statusCode: outcome.statusCode,
    errorKind: outcome.errorKind,
    errorMessage: outcome.error,
    responseExcerpt: outcome.responseExcerpt?.slice(0, EXCERPT_LIMIT) ?? null,
    durationMs: Math.round(outcome.durationMs),
    startedAt: new Date(outcome.startedAt),
    finishedAt: new Date(outcome.finishedAt),
    request: outcome.request ?? null,
  };
}
