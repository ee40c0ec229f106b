/**
 * libs/api-client (used by the CLI and the console) is generated from the OpenAPI document; these
 * tests fail when the committed files drift from what the running API serves at /docs-json.
 * The fix is always `npm run openapi`, then commit libs/api-client.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { API_CLIENT_DIR, buildDocument, schemaTypes } from '../../scripts/openapi';
import { startStack, type TestStack } from '../support/stack';

const STALE = 'libs/api-client is stale: run `npm run openapi` and commit libs/api-client';

describe('the generated API client', () => {
  let stack: TestStack;
  let served: object;
  before(async () => {
    stack = await startStack({}, { worker: false });
    const res = await fetch(`${stack.baseUrl}/docs-json`);
    assert.equal(res.status, 200);
    served = (await res.json()) as object;
  });
  after(async () => {
    await stack?.stop();
  });

  it('was generated from the document the API serves at /docs-json', () => {
    const committed = JSON.parse(readFileSync(join(API_CLIENT_DIR, 'openapi.json'), 'utf8')) as object;
    assert.deepEqual(committed, served, STALE);
  });

  it('has the types openapi-typescript makes of that document', async () => {
    assert.equal(readFileSync(join(API_CLIENT_DIR, 'schema.d.ts'), 'utf8'), await schemaTypes(served), STALE);
  });

  it('is regenerated without a database from the same document the live API serves', async () => {
    assert.deepEqual(await buildDocument(), served);
  });

  it("documents the error shape as every operation's default response", () => {
    const doc = served as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { $ref: string } }> }> }>> };
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        assert.equal(op.responses.default?.content?.['application/json'].schema.$ref, '#/components/schemas/ErrorView', `${method} ${path}`);
      }
    }
  });
});
