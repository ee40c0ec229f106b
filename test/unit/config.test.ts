import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig, MALLOC_TUNING, missingMallocTuning, withMallocTuning, workflowRuntime, workflowTaskSlots } from '../../libs/config/config';

const valid = {
  DATABASE_URL: 'postgres://u:p@localhost:5432/herald',
  HERALD_ADMIN_TOKEN: 'a'.repeat(24),
  HERALD_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(valid);
    assert.equal(c.temporal.address, 'localhost:7233');
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.temporal.taskQueue, 'herald-deliveries');
    assert.equal(c.temporal.uiUrl, 'http://localhost:8233');
    assert.equal(c.api.port, 3000);
    assert.equal(c.delivery.allowHttp, false);
    assert.deepEqual(c.delivery.allowedTargets, []);
    assert.equal(c.temporal.tls, undefined);
    assert.equal(c.secretKeys.current.length, 32);
    assert.equal(c.health.autoDisableAfterMs, 120 * 3_600_000, 'HERALD_AUTO_DISABLE_AFTER_HOURS: 120');
  });

  it('reads the auto-disable window in hours, 0 meaning never', () => {
    assert.equal(loadConfig({ ...valid, HERALD_AUTO_DISABLE_AFTER_HOURS: '0' }).health.autoDisableAfterMs, 0);
    assert.equal(loadConfig({ ...valid, HERALD_AUTO_DISABLE_AFTER_HOURS: '1.5' }).health.autoDisableAfterMs, 5_400_000);
  });

  it('parses lists, booleans, hex keys and TLS settings', () => {
    const c = loadConfig({
      ...valid,
      HERALD_ALLOWED_TARGETS: '127.0.0.1, 10.0.0.0/8 ,hooks.internal',
      HERALD_ALLOW_HTTP: 'true',
      HERALD_SECRET_KEY: 'ab'.repeat(32),
      TEMPORAL_API_KEY: 'key',
      HERALD_API_PORT: '8080',
    });
    assert.deepEqual(c.delivery.allowedTargets, ['127.0.0.1', '10.0.0.0/8', 'hooks.internal']);
    assert.equal(c.delivery.allowHttp, true);
    assert.equal(c.api.port, 8080);
    assert.ok(c.temporal.tls, 'an API key implies TLS');
    assert.equal(c.secretKeys.current.toString('hex'), 'ab'.repeat(32));
  });

  it('keeps the workflow-task slots to a quarter of the workflow cache (the cache-stall fix)', () => {
    for (const cache of [2, 3, 10, 37, 100, 160, 250, 500, 5000]) {
      const slots = workflowTaskSlots(cache)!;
      assert.ok(slots >= 2, `cache ${cache}: the SDK needs 2 slots with a cache`);
      assert.ok(slots <= Math.max(2, cache / 4), `cache ${cache}: ${slots} slots leave the cache room for runs at rest`);
      assert.ok(slots <= 40, `cache ${cache}: ${slots} slots`);
      assert.equal(loadConfig({ ...valid, HERALD_MAX_CACHED_WORKFLOWS: String(cache) }).worker.maxConcurrentWorkflowTasks, slots);
    }
    for (const cache of ['0', '1'])
      assert.throws(
        () => loadConfig({ ...valid, HERALD_MAX_CACHED_WORKFLOWS: cache }),
        /HERALD_MAX_CACHED_WORKFLOWS: must be at least 2/,
        `a cache of ${cache}: no cache loses local activities that finish after an eviction`,
      );
    const d = loadConfig(valid).worker;
    assert.equal(d.maxConcurrentWorkflowTasks, workflowTaskSlots(d.maxCachedWorkflows));
  });

  it('runs workflow code on a thread of its own by default; on the main thread, with the sandbox limit of 5 s kept', () => {
    assert.equal(loadConfig(valid).worker.workflowThread, true);
    assert.equal(loadConfig({ ...valid, HERALD_WORKFLOW_THREAD: 'false' }).worker.workflowThread, false);
    // The SDK's debugMode chooses the main thread and lifts the limit (to ~50 days) unless it is given.
    assert.deepEqual(workflowRuntime(false), { debugMode: true, isolateExecutionTimeout: '5s' });
    assert.equal(loadConfig({ ...valid, HERALD_WORKFLOW_THREAD: 'true' }).worker.workflowThread, true);
    assert.deepEqual(workflowRuntime(true), {}, "the thread of its own: the SDK's defaults");
    assert.throws(() => loadConfig({ ...valid, HERALD_WORKFLOW_THREAD: 'sometimes' }), /HERALD_WORKFLOW_THREAD: must be true or false/);
  });

  it("starts Herald's processes with glibc's malloc thresholds fixed, and the image says the same", () => {
    assert.deepEqual(Object.keys(MALLOC_TUNING).sort(), ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_']);
    assert.deepEqual(withMallocTuning({ PATH: '/bin' }), { ...MALLOC_TUNING, PATH: '/bin' });
    assert.equal(withMallocTuning({ MALLOC_TRIM_THRESHOLD_: '262144' }).MALLOC_TRIM_THRESHOLD_, '262144', 'a value given wins');
    // Set to '': left out, so a bench can measure the worker without them.
    assert.deepEqual(withMallocTuning({ MALLOC_TRIM_THRESHOLD_: '', MALLOC_MMAP_THRESHOLD_: '', HERALD_X: '' }), { HERALD_X: '' });
    assert.deepEqual(missingMallocTuning({}), Object.keys(MALLOC_TUNING));
    assert.deepEqual(missingMallocTuning(withMallocTuning({})), []);
    // The image's runtime stage (compose and the Helm chart run it) sets exactly these values.
    const dockerfile = readFileSync(join(__dirname, '..', '..', '..', 'Dockerfile'), 'utf8');
    const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'));
    const set = Object.fromEntries([...runtime.matchAll(/\b(MALLOC_\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    assert.deepEqual(set, MALLOC_TUNING);
  });

  for (const [name, env, variable] of [
    ['missing database url', { ...valid, DATABASE_URL: undefined }, 'DATABASE_URL'],
    ['non-postgres database url', { ...valid, DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL'],
    ['short admin token', { ...valid, HERALD_ADMIN_TOKEN: 'short' }, 'HERALD_ADMIN_TOKEN'],
    ['bad secret key', { ...valid, HERALD_SECRET_KEY: 'not-a-key' }, 'HERALD_SECRET_KEY'],
    ['bad port', { ...valid, HERALD_API_PORT: '70000' }, 'HERALD_API_PORT'],
    ['bad boolean', { ...valid, HERALD_ALLOW_HTTP: 'maybe' }, 'HERALD_ALLOW_HTTP'],
    ['cert without key', { ...valid, TEMPORAL_TLS_CERT: '/tmp/c.pem' }, 'TEMPORAL_TLS_KEY'],
    ['negative auto-disable window', { ...valid, HERALD_AUTO_DISABLE_AFTER_HOURS: '-1' }, 'HERALD_AUTO_DISABLE_AFTER_HOURS'],
    ['non-numeric auto-disable window', { ...valid, HERALD_AUTO_DISABLE_AFTER_HOURS: 'five days' }, 'HERALD_AUTO_DISABLE_AFTER_HOURS'],
  ] as const) {
    it(`rejects ${name}, naming ${variable}`, () => {
      assert.throws(
        () => loadConfig(env as NodeJS.ProcessEnv),
        (err: unknown) => err instanceof ConfigError && err.message.includes(variable),
      );
    });
  }

  it('makes a process exit at start-up with a message naming the bad variable', () => {
    for (const entry of ['apps/api/src/main.js', 'apps/worker/src/main.js']) {
      const result = spawnSync(process.execPath, [join(__dirname, '../..', entry)], {
        env: { PATH: process.env.PATH, ...valid, HERALD_SECRET_KEY: 'nope' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      assert.equal(result.status, 78, `${entry} exit code`);
      assert.match(result.stderr, /HERALD_SECRET_KEY/);
    }
  });
});
