/**
 * The worker process starts like production: it loads the prebuilt workflow bundle (no webpack,
 * no bundle statistics in its output) and starts polling; pointed at a bundle built from other
 * sources it refuses to start, saying so. Every launcher starts it with glibc's malloc thresholds
 * fixed (MALLOC_TUNING); started without them it warns.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MALLOC_TUNING } from '../../libs/config/config';
import { DEFAULT_WORKFLOW_BUNDLE, readStamp } from '../../libs/temporal/workflow-bundle';
import { eventually } from '../support/engine';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startStack, type TestStack } from '../support/stack';

/** What webpack's statistics look like when a worker bundles at start (bundleWorkflowCode's log). */
const WEBPACK_STATS = /webpack|modules by path|orphan modules|asset workflow-bundle|Workflow bundle created/i;
/** The worker's warning when glibc's malloc runs with its growing thresholds (MALLOC_TUNING). */
const UNTUNED = /without the malloc settings of MALLOC_TUNING/;

describe('worker start-up', { timeout: 120_000 }, () => {
  let stack: TestStack;
  let dir: string;
  const workers: HeraldProcess[] = [];
  before(async () => {
    stack = await startStack({}, { worker: false });
    dir = mkdtempSync(join(tmpdir(), 'herald-worker-start-'));
  });
  after(async () => {
    for (const w of workers) await w.stop();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads the prebuilt bundle and polls, with no webpack statistics in its output', async () => {
    const t0 = performance.now();
    const worker = spawnHerald('worker', envFor(stack.config, { HERALD_LOG_LEVEL: 'info', HERALD_LOG_FORMAT: 'json' }));
    workers.push(worker);
    await eventually(async () => worker.output().includes('worker polling') || worker.child.exitCode !== null, 60_000, 'the worker polling');
    assert.equal(worker.child.exitCode, null, worker.output());
    process.stderr.write(`worker polling ${Math.round(performance.now() - t0)} ms after spawn (prebuilt bundle)\n`);
    assert.doesNotMatch(worker.output(), WEBPACK_STATS);
    // Started as every launcher starts it, with glibc's malloc thresholds fixed, and so no warning.
    const environ = readFileSync(`/proc/${worker.child.pid}/environ`, 'utf8').split('\0');
    for (const [k, v] of Object.entries(MALLOC_TUNING)) assert.ok(environ.includes(`${k}=${v}`), `${k}=${v} in the worker's environment`);
    assert.doesNotMatch(worker.output(), UNTUNED);
  });

  it('warns when started without the malloc settings, naming them', async () => {
    const untuned = Object.fromEntries(Object.keys(MALLOC_TUNING).map((k) => [k, '']));
    const worker = spawnHerald('worker', envFor(stack.config, { HERALD_LOG_LEVEL: 'info', HERALD_LOG_FORMAT: 'json', ...untuned }));
    workers.push(worker);
    await eventually(async () => worker.output().includes('worker polling') || worker.child.exitCode !== null, 60_000, 'the worker polling');
    assert.equal(worker.child.exitCode, null, worker.output());
    const line = worker
      .output()
      .split('\n')
      .find((l) => UNTUNED.test(l));
    assert.ok(line, worker.output());
    assert.deepEqual(JSON.parse(line).missing, Object.keys(MALLOC_TUNING));
  });

  it('refuses to start on a bundle built from other sources, naming it and how to rebuild', async () => {
    const code = readFileSync(DEFAULT_WORKFLOW_BUNDLE, 'utf8');
    const stamp = readStamp(code)!;
    const file = 'dist/workflows/delivery.workflow.js';
    assert.ok(stamp.files[file]);
    // As if the delivery workflow had been rebuilt since the bundle was made.
    const stale = { ...stamp, sources: '0'.repeat(64), files: { ...stamp.files, [file]: '0'.repeat(16) } };
    const path = join(dir, 'stale-bundle.js');
    writeFileSync(path, code.replace(JSON.stringify(stamp), JSON.stringify(stale)));
    const worker = spawnHerald('worker', envFor(stack.config, { HERALD_WORKFLOW_BUNDLE: path }));
    workers.push(worker);
    await eventually(async () => worker.child.exitCode !== null, 60_000, 'the worker exiting');
    assert.notEqual(worker.child.exitCode, 0);
    assert.match(worker.output(), /StaleWorkflowBundle|workflow bundle/);
    assert.match(worker.output(), /delivery\.workflow\.js/);
    assert.match(worker.output(), /npm run build/);
  });
});
