import type { DataSource } from 'typeorm';
import { Delivery, Event, Subscription } from '../../libs/db/entities';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import type { SecretBox } from '../../libs/delivery/secret-box';
import { generateSecret } from '../../libs/delivery/signing';
import { newId } from '../../libs/domain/ids';
import { DEFAULT_TENANT_ID } from '../../libs/domain/tenants';
import { deliveryWorkflowId } from '../../libs/temporal/names';

/** Rows for tests that drive workflows directly, without the API. */
export async function seedSubscription(
  ds: DataSource,
  box: SecretBox,
  fields: Partial<Subscription> & { url: string; secret?: string },
): Promise<Subscription & { secret: string }> {
  const secret = fields.secret ?? generateSecret();
  const { secret: _omit, ...rest } = fields;
  const sub = ds.getRepository(Subscription).create({
    id: newId('subscription'),
    tenantId: DEFAULT_TENANT_ID,
    eventTypes: ['image.created'],
    templateIds: [],
    description: null,
    secretCiphertext: box.seal(secret),
    previousSecretCiphertext: null,
    previousSecretExpiresAt: null,
    headers: {},
    userDefined: {},
    payloadFormat: 'flat',
    enabled: true,
    ...rest,
  });
  await ds.getRepository(Subscription).save(sub);
  return Object.assign(sub, { secret });
}

/**
 * An Event its test drives itself (it starts the workflows it wants), so it is marked started:
 * the outbox's dispatchers leave it alone. `workflowStartedAt: null` seeds an accepted event
 * still waiting for its dispatcher.
 */
export async function seedEvent(ds: DataSource, fields: Partial<Event> = {}): Promise<Event> {
  const event = ds.getRepository(Event).create({
    id: newId('event'),
    tenantId: DEFAULT_TENANT_ID,
    type: 'image.created',
    templateId: null,
    data: { ...SAMPLE_IMAGE_CREATED },
    traceId: null,
    idempotencyKey: null,
    receivedAt: new Date(),
    workflowStartedAt: new Date(),
    // A seeded event with a workflow is one already matched (not in the backlog); one without waits for a dispatcher.
    matched: fields.workflowStartedAt !== null,
    ...fields,
  });
  await ds.getRepository(Event).save(event);
  return event;
}

export async function seedDelivery(ds: DataSource, event: Event, sub: Subscription): Promise<Delivery> {
  const now = new Date();
  const delivery = ds.getRepository(Delivery).create({
    id: newId('delivery'),
    eventId: event.id,
    subscriptionId: sub.id,
    tenantId: sub.tenantId,
    eventType: event.type,
    templateId: event.templateId,
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: null,
    lastStatusCode: null,
    lastError: null,
    workflowId: deliveryWorkflowId(event.id, sub.id),
    createdAt: now,
    updatedAt: now,
    completedAt: null,
  });
  await ds.getRepository(Delivery).save(delivery);
  return delivery;
}
