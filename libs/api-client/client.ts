/**
 * A typed client of the admin API, on openapi-fetch and the types generated from the API's own
 * OpenAPI document (schema.d.ts, by `npm run openapi`). Used by the `herald` CLI and the console,
 * so it stays browser-safe: no Node imports; the base URL and the token are passed in.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths } from './schema';

/** The API's response and request bodies by schema name, e.g. `Schemas['DeliveryDetail']`. */
export type Schemas = components['schemas'];

export interface HeraldClientOptions {
  /** e.g. http://localhost:3000 (a trailing slash is ignored). */
  baseUrl: string;
  /** Bearer token, or a function asked before every request (for a token that changes). */
  token: string | (() => string | undefined);
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
}

export type HeraldClient = Client<paths>;

export function createHeraldClient(options: HeraldClientOptions): HeraldClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ''), fetch: options.fetch, headers: { accept: 'application/json' } });
  client.use({
    onRequest({ request }) {
      const token = typeof options.token === 'function' ? options.token() : options.token;
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  });
  return client;
}

/** An error answer of the API (`{ error: { code, message, details } }`), or a non-2xx without that shape. */
export class HeraldApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HeraldApiError';
  }
}

/** What openapi-fetch resolves to: data on 2xx, the parsed (or raw text) error body otherwise. */
interface Result<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/** The data of a successful call; a HeraldApiError for any other answer. */
export function dataOf<D>(result: Result<D>): D {
  if (result.response.ok) return result.data as D;
  throw apiError(result.response, result.error);
}

function apiError(response: Response, body: unknown): HeraldApiError {
  const e = typeof body === 'object' && body !== null ? (body as Partial<Schemas['ErrorView']>).error : undefined;
  if (e && typeof e.code === 'string') return new HeraldApiError(response.status, e.code, String(e.message ?? ''), e.details ?? {});
  const text = typeof body === 'string' ? body.slice(0, 200) : '';
  return new HeraldApiError(response.status, `http_${response.status}`, text || response.statusText);
}
