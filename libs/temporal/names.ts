/**
 * Temporal names shared by the client side, the worker and the workflows. Pure: no imports
 * beyond @temporalio/common's typed search-attribute keys, which workflows may use.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'herald-deliveries';

export const eventWorkflowId = (eventId: string): string => `event:${eventId}`;
export const deliveryWorkflowId = (eventId: string, subscriptionId: string): string => `delivery:${eventId}:${subscriptionId}`;
export const PURGE_SCHEDULE_ID = 'herald-dead-letter-purge';
export const RETENTION_SCHEDULE_ID = 'herald-retention-purge';
export const STATS_ROLLUP_SCHEDULE_ID = 'herald-stats-rollup';

export const SA = {
  eventId: defineSearchAttributeKey('HeraldEventId', SearchAttributeType.KEYWORD),
  eventType: defineSearchAttributeKey('HeraldEventType', SearchAttributeType.KEYWORD),
  subscriptionId: defineSearchAttributeKey('HeraldSubscriptionId', SearchAttributeType.KEYWORD),
  templateId: defineSearchAttributeKey('HeraldTemplateId', SearchAttributeType.KEYWORD),
  tenantId: defineSearchAttributeKey('HeraldTenantId', SearchAttributeType.KEYWORD),
  deliveryStatus: defineSearchAttributeKey('HeraldDeliveryStatus', SearchAttributeType.KEYWORD),
  attempts: defineSearchAttributeKey('HeraldAttempts', SearchAttributeType.INT),
  /** On an event workflow: the subscriptions whose delivery it made itself, inline (they have no delivery workflow). */
  deliveredSubscriptionIds: defineSearchAttributeKey('HeraldDeliveredSubscriptionIds', SearchAttributeType.KEYWORD_LIST),
} as const;

/** Name → type, in the form `temporal server start-dev --search-attribute` and the test servers take. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Int' | 'KeywordList'> = {
  HeraldEventId: 'Keyword',
  HeraldEventType: 'Keyword',
  HeraldSubscriptionId: 'Keyword',
  HeraldTemplateId: 'Keyword',
  HeraldTenantId: 'Keyword',
  HeraldDeliveryStatus: 'Keyword',
  HeraldAttempts: 'Int',
  HeraldDeliveredSubscriptionIds: 'KeywordList',
};

/** Failure type of a dead-lettered delivery's workflow, so it shows red in the UI. */
export const DELIVERY_EXHAUSTED = 'DeliveryExhausted';
/** Failure type of a delivery dead-lettered because it waited in pause longer than its retention. */
export const DELIVERY_PAUSED_TOO_LONG = 'DeliveryPausedTooLong';
