import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHeraldClient, dataOf, HeraldApiError } from '../../libs/api-client/client';

/** A fetch that answers `response` and keeps the requests it got. */
function fakeFetch(response: () => Response): { fetch: typeof fetch; requests: Request[] } {
  const requests: Request[] = [];
  return {
    requests,
    fetch: async (input) => {
      requests.push(input as Request);
      return response();
    },
  };
}

const json = (status: number, body: unknown): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('libs/api-client', () => {
  it('sends the bearer token to the base URL (trailing slash ignored) and returns the data', async () => {
    const f = fakeFetch(() => json(200, { data: [], nextCursor: null }));
    const client = createHeraldClient({ baseUrl: 'http://herald.test:3000/', token: 'tok_123', fetch: f.fetch });
    const page = dataOf(await client.GET('/v1/dead-letters', { params: { query: { subscriptionId: 'sub_1', limit: 5 } } }));
    assert.deepEqual(page, { data: [], nextCursor: null });
    const [req] = f.requests;
    assert.equal(req.url, 'http://herald.test:3000/v1/dead-letters?subscriptionId=sub_1&limit=5');
    assert.equal(req.headers.get('authorization'), 'Bearer tok_123');
  });

  it('asks a token function before every request, and sends no header when it has none', async () => {
    const f = fakeFetch(() => json(200, { status: 'ok' }));
    const session: { token?: string } = {};
    const client = createHeraldClient({ baseUrl: 'http://herald.test', token: () => session.token, fetch: f.fetch });
    await client.GET('/health');
    session.token = 'later';
    await client.GET('/health');
    assert.deepEqual(
      f.requests.map((r) => r.headers.get('authorization')),
      [null, 'Bearer later'],
    );
  });

  it("turns the API's error shape into a HeraldApiError with its code, message and details", async () => {
    const f = fakeFetch(() => json(404, { error: { code: 'delivery_not_found', message: 'Delivery dlv_1 not found', details: { id: 'dlv_1' } } }));
    const client = createHeraldClient({ baseUrl: 'http://herald.test', token: 't', fetch: f.fetch });
    const result = await client.GET('/v1/deliveries/{id}', { params: { path: { id: 'dlv_1' } } });
    assert.throws(
      () => dataOf(result),
      (err: unknown) => {
        assert.ok(err instanceof HeraldApiError);
        assert.deepEqual([err.status, err.code, err.message, err.details], [404, 'delivery_not_found', 'Delivery dlv_1 not found', { id: 'dlv_1' }]);
        return true;
      },
    );
  });

  it('names an answer without that shape by its HTTP status', async () => {
    const f = fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const client = createHeraldClient({ baseUrl: 'http://herald.test', token: 't', fetch: f.fetch });
    assert.throws(() => dataOf({ response: new Response(null, { status: 503, statusText: 'Service Unavailable' }) }), {
      code: 'http_503',
      message: 'Service Unavailable',
    });
    const result = await client.GET('/ready');
    assert.throws(() => dataOf(result), { status: 502, code: 'http_502', message: '<html>bad gateway</html>' });
  });
});
