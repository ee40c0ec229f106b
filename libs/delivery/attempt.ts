/**
 * The stages of one HTTP try, shared by the engine's activities and the API's test send, so a
 * test attempt can never differ from a real one: prepare (build + sign) → send → record (the
 * Attempt row). Each stage is a function of its inputs; loading and storing are the callers'.
 */
import type { StreamPlace } from '../domain/ordering';
import type { AttemptTrigger, PayloadFormat } from '../domain/types';
import { openHeaderValues } from './header-values';
import { buildHeaders } from './headers';
import type { HttpSender, SendOutcome } from './http-sender';
import { buildBody, type PayloadEvent } from './payload';
import { signatureHeaders } from './signing';

/** Stored response bodies are cut to this many characters. */
export const EXCERPT_LIMIT = 4 * 1024;

/** What one HTTP try came to, with when it ran. A failed try is data, never an exception. */
export interface AttemptOutcome extends SendOutcome {
  startedAt: string;
  finishedAt: string;
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
}

/** The secrets that sign now: the current one, plus a rotated-out one until it expires. */
export function signingSecrets(subscription: AttemptSubscription, open: (sealed: string) => string, now: Date): string[] {
  const secrets = [open(subscription.secretCiphertext)];
  if (subscription.previousSecretCiphertext && subscription.previousSecretExpiresAt && subscription.previousSecretExpiresAt > now) {
    secrets.push(open(subscription.previousSecretCiphertext));
  }
  return secrets;
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
  const headers = buildHeaders({
    signature: signatureHeaders({ webhookId: input.webhookId, timestamp: now, body, secrets: signingSecrets(subscription, input.open, now) }),
    eventType: event.type,
    attemptNumber: input.attemptNumber,
    customHeaders: openHeaderValues(subscription.headers, input.open),
    traceparent: event.traceparent,
    userAgentVersion: input.version,
    stream: input.stream,
  });
  return { headers, body };
}

/** Stage "send": the HTTP call and nothing else; every result, good or bad, comes back as data. */
export async function sendRequest(
  sender: HttpSender,
  url: string,
  request: AttemptRequest,
  opts: { clock?: () => Date; signal?: AbortSignal } = {},
): Promise<AttemptOutcome> {
  const startedAt = (opts.clock ?? (() => new Date()))();
  const outcome = await sender.send({ url, headers: request.headers, body: request.body }, opts.signal);
  return { ...outcome, startedAt: startedAt.toISOString(), finishedAt: new Date(startedAt.getTime() + outcome.durationMs).toISOString() };
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
  };
}
