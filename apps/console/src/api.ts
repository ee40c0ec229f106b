/**
 * The console's only door to Herald: the public /v1 API through libs/api-client (openapi-fetch
 * on the types generated from the API's OpenAPI document), with the session's bearer token.
 */
import { createHeraldClient, dataOf, HeraldApiError, type HeraldClient, type Schemas } from '../../../libs/api-client/client';

export { HeraldApiError as ApiError };
export type ApiClient = HeraldClient;

export type Subscription = Schemas['SubscriptionView'];
export type SubscriptionWithSecret = Schemas['SubscriptionWithSecret'];
export type SubscriptionInput = Schemas['CreateSubscriptionDto'];
export type Attempt = Schemas['AttemptView'];
export type Delivery = Schemas['DeliveryView'];
export type DeliveryDetail = Schemas['DeliveryDetail'];
export type DeliveryStatus = Delivery['status'];
export type HeraldEvent = Schemas['EventView'];
export type DeadLetter = Schemas['DeadLetterView'];
export type EventType = Schemas['EventTypeView'];
export type Whoami = Schemas['WhoamiView'];
export type PayloadFormat = Subscription['payloadFormat'];
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}
export type Tenant = Schemas['TenantView'];
export type SubscriptionStats = Schemas['SubscriptionStatsView'];
export type SentRequest = Schemas['SentRequestView'];

export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivering', 'succeeded', 'retrying', 'paused', 'dead_lettered', 'cancelled'];
export const FINAL_STATUSES: readonly DeliveryStatus[] = ['succeeded', 'dead_lettered', 'cancelled'];

/** Called on every 401, so the app can end the session and say why. */
export type OnUnauthenticated = () => void;

export function createApiClient(token: string, onUnauthenticated: OnUnauthenticated): ApiClient {
  const client = createHeraldClient({
    baseUrl: window.location.origin,
    token,
    fetch: (input, init) => fetch(input, { ...init, credentials: 'omit', cache: 'no-store' }),
  });
  client.use({
    onResponse({ response }) {
      if (response.status === 401) onUnauthenticated();
      return response;
    },
  });
  return client;
}

/** The data of a call, a HeraldApiError for an error answer, and one for an unreachable API too. */
export async function call<D>(request: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  let result: { data?: D; error?: unknown; response: Response };
  try {
    result = await request;
  } catch (err) {
    throw new HeraldApiError(0, 'network', `Herald could not be reached (${(err as Error).message})`);
  }
  return dataOf(result);
}

/** Query parameters without the empty ones (a blank filter means "any"). */
export function compact<T extends Record<string, string | number | boolean | null | undefined>>(q: T): { [K in keyof T]?: NonNullable<T[K]> } {
  return Object.fromEntries(Object.entries(q).filter(([, v]) => v !== '' && v !== null && v !== undefined)) as { [K in keyof T]?: NonNullable<T[K]> };
}

/** Every page of a list, up to `max` rows. */
export async function collect<T>(fetchPage: (cursor: string | undefined) => Promise<Page<T>>, max: number): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    rows.push(...page.data);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && rows.length < max);
  return rows.slice(0, max);
}
