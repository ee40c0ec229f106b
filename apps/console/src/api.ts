/**
 * The console's only door to Herald: the public /v1 API with the session's bearer token. A thin
 * fetch wrapper with the response shapes of apps/api/src/**\/dto, to be swapped for the typed
 * client of libs/api-client once it lands.
 */

export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'retrying' | 'dead_lettered' | 'cancelled';
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivering', 'succeeded', 'retrying', 'dead_lettered', 'cancelled'];
export const FINAL_STATUSES: readonly DeliveryStatus[] = ['succeeded', 'dead_lettered', 'cancelled'];
export type PayloadFormat = 'flat' | 'envelope';

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export interface Subscription {
  id: string;
  url: string;
  eventTypes: string[];
  templateIds: string[];
  description: string | null;
  headers: Record<string, string>;
  userDefined: Record<string, unknown>;
  payloadFormat: PayloadFormat;
  enabled: boolean;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  tenantId?: string;
}
export type SubscriptionWithSecret = Subscription & { secret: string };

export interface SubscriptionInput {
  url: string;
  eventTypes: string[];
  templateIds: string[];
  description: string | null;
  headers: Record<string, string>;
  userDefined: Record<string, unknown>;
  payloadFormat: PayloadFormat;
  enabled?: boolean;
  secret?: string;
  tenantId?: string;
}

export interface Attempt {
  id: string;
  deliveryId: string | null;
  subscriptionId: string;
  number: number;
  trigger: 'scheduled' | 'manual' | 'test';
  url: string;
  ok: boolean;
  statusCode: number | null;
  errorKind: string | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
  startedAt: string;
  finishedAt: string;
}

export interface Delivery {
  id: string;
  eventId: string;
  subscriptionId: string;
  eventType: string;
  templateId: string | null;
  status: DeliveryStatus;
  attemptCount: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  workflowId: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  tenantId?: string;
}

export interface DeliveryDetail extends Delivery {
  attempts: Attempt[];
  live: { status: DeliveryStatus; attempts: number; nextAttemptAt: string | null; lastStatusCode: number | null; lastError: string | null; workflowStatus: string } | null;
  temporalUiUrl?: string;
}

export interface HeraldEvent {
  id: string;
  type: string;
  templateId: string | null;
  traceId: string | null;
  data: Record<string, unknown>;
  receivedAt: string;
}

export interface DeadLetter {
  id: string;
  deliveryId: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  reason: string;
  lastStatusCode: number | null;
  attemptCount: number;
  payload: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
}

export interface EventType {
  name: string;
  description: string;
  schema: Record<string, unknown>;
  example?: Record<string, unknown>;
}

export interface Whoami {
  kind: 'admin' | 'ingest' | 'tenant';
  tenantId: string | null;
  expiresAt: string | null;
}

export interface Tenant {
  id: string;
  name: string;
}

/** A non-2xx answer, with Herald's `{ error: { code, message, details } }` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

export interface Client {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  del(path: string): Promise<void>;
}

/** Called on every 401, so the app can end the session and say why. */
export type OnUnauthenticated = (err: ApiError) => void;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export function createClient(token: string, onUnauthenticated: OnUnauthenticated, base = ''): Client {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
    } catch (err) {
      throw new ApiError(0, 'network', `Herald could not be reached (${(err as Error).message})`);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
      const err = new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? `HTTP ${res.status}`, e?.details ?? {});
      if (res.status === 401) onUnauthenticated(err);
      throw err;
    }
    return json as T;
  }
  return {
    get: (path, query) => call('GET', path + queryString(query)),
    post: (path, body) => call('POST', path, body),
    patch: (path, body) => call('PATCH', path, body),
    del: (path) => call<void>('DELETE', path),
  };
}

/** Every page of a list, up to `max` rows (for client-side figures the API has no field for yet). */
export async function collect<T>(client: Client, path: string, query: Query, max: number): Promise<T[]> {
  const rows: T[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<T> = await client.get<Page<T>>(path, { ...query, limit: 100, cursor });
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor && rows.length < max);
  return rows.slice(0, max);
}
