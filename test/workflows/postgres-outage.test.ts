/**
 * Postgres stops while an attempt is on the wire: the outcome waits in the workflow history,
 * the record activity is retried until Postgres is back, nothing is re-sent and no schedule
 * slot is consumed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Client } from 'pg';
import { createDataSource } from '../../libs/db/data-source';
import { Attempt, Delivery } from '../../libs/db/entities';
import { startEmbeddedPostgres } from '../../libs/devstack/embedded-postgres';
import { freePort } from '../../libs/devstack/ports';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { deliveryWorkflow } from '../../workflows/delivery.workflow';
import { createEngineWorker, eventually, testSecretBox } from '../support/engine';
import { startReceiver } from '../support/receivers';
import { seedDelivery, seedEvent, seedSubscription } from '../support/seed';
import { createTimeSkippingEnv } from '../support/temporal';

describe('a Postgres outage during an attempt', () => {
  // In stages (the outcome is the send activity's result) and as one local activity (retries
  // `local`: its own record fails, it hands the outcome back and the workflow records it).
  for (const retries of [undefined, 'local'] as const) {
    it(`records the attempt once Postgres is back, without re-sending or skipping a slot${retries ? ' (retries: local)' : ''}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'herald-outage-'));
      const port = await freePort();
      let pg = await startEmbeddedPostgres({ dataDir: dir, port });
      const admin = new Client({ connectionString: pg.adminUrl });
      await admin.connect();
      await admin.query('CREATE DATABASE herald');
      await admin.end();
      const dataSource = await createDataSource(pg.urlFor('herald'), { poolSize: 4 }).initialize();
      await dataSource.runMigrations({ transaction: 'each' });
      const env = await createTimeSkippingEnv();
      // The first attempt takes 3 s and fails; the second succeeds.
      const r = await startReceiver({
        kind: 'sequence',
        steps: [
          { kind: 'slow', ms: 3000, status: 500 },
          { kind: 'status', status: 200 },
        ],
      });
      try {
        const sub = await seedSubscription(dataSource, testSecretBox(), { url: r.url });
        const event = await seedEvent(dataSource);
        const d = await seedDelivery(dataSource, event, sub);
        const worker = await createEngineWorker({ connection: env.nativeConnection, taskQueue: 'outage', dataSource });
        await worker.runUntil(async () => {
          const handle = await env.client.workflow.start(deliveryWorkflow, {
            taskQueue: 'outage',
            workflowId: deliveryWorkflowId(event.id, sub.id),
            args: [{ deliveryId: d.id, eventId: event.id, subscriptionId: sub.id, ...(retries ? { retries } : {}) }],
          });
          await r.waitForRequests(1, 10_000);
          await pg.stop(); // the attempt is still on the wire
          await new Promise((res) => setTimeout(res, 6_000)); // the send returns; recording fails and is retried
          assert.equal(r.requests.length, 1, 'nothing re-sent while Postgres is down');
          pg = await startEmbeddedPostgres({ dataDir: dir, port });
          assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 2 });
        });
        assert.equal(r.requests.length, 2);
        const attempts = await eventually(async () => {
          const rows = await dataSource.getRepository(Attempt).find({ where: { deliveryId: d.id }, order: { number: 'ASC' } });
          return rows.length === 2 && rows;
        });
        assert.deepEqual(
          attempts.map((a) => [a.number, a.statusCode]),
          [
            [1, 500],
            [2, 200],
          ],
        );
        assert.equal((await dataSource.getRepository(Delivery).findOneByOrFail({ id: d.id })).attemptCount, 2);
      } finally {
        await r.close();
        await env.teardown();
        await dataSource.destroy().catch(() => undefined);
        await pg.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
