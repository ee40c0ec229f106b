import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import type { ReceivedRequest } from './receivers';
import type { TestStack } from './stack';

/** Helpers for driving Herald through its admin API in e2e tests. */

export interface CreatedSubscription {
  id: string;
  secret: string;
  url: string;
  [field: string]: unknown;
}

/** A template id of the test's own: subscriptions scoped to it see only the test's events. */
export const uniqueTemplate = (): string => `tpl_${randomBytes(4).toString('hex')}`;

export async function createSubscription(stack: TestStack, body: Record<string, unknown>): Promise<CreatedSubscription> {
  const res = await stack.api('/v1/subscriptions', { method: 'POST', json: { eventTypes: ['image.created'], ...body } });
  assert.equal(res.status, 201, `create subscription: ${JSON.stringify(res.body)}`);
  return res.body as CreatedSubscription;
}

export function imageCreated(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'image.created', data: structuredClone(SAMPLE_IMAGE_CREATED), ...fields };
}

export async function postEvent(stack: TestStack, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
  const res = await stack.api('/v1/events', { method: 'POST', json: body, headers });
  assert.equal(res.status, 202, `post event: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.status, 'accepted');
  return res.body.id as string;
}

/** Verifies a received request with the Standard Webhooks reference verifier; returns the parsed body. */
export function verifySignature(secret: string, req: ReceivedRequest, signature = req.headers['webhook-signature']): unknown {
  return new Webhook(secret).verify(req.body, {
    'webhook-id': req.headers['webhook-id'],
    'webhook-timestamp': req.headers['webhook-timestamp'],
    'webhook-signature': signature,
  });
}

/** Asserts Herald's one error shape, and returns it. */
export interface ErrorJson {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export function assertError(res: { status: number; body: unknown }, status: number, code: string): ErrorJson {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${JSON.stringify(res.body)}`);
  assert.ok(typeof res.body === 'object' && res.body !== null, 'a JSON object');
  assert.deepEqual(Object.keys(res.body), ['error']);
  const { error } = res.body as { error: ErrorJson };
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0);
  assert.equal(typeof error.details, 'object');
  assert.ok(error.details !== null && !Array.isArray(error.details));
  return error;
}

/** Pages through a list with `limit`, returning every item in order. */
export async function collectPages<T = unknown>(stack: TestStack, path: string, limit: number): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await stack.api(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.ok(res.body.data.length <= limit);
    items.push(...res.body.data);
    cursor = res.body.nextCursor;
    pages++;
    assert.ok(pages < 1000, 'pagination does not end');
  } while (cursor);
  return { items, pages };
}
