/**
 * The workflow bundle the worker loads (dist/workflow-bundle.js, built by bootstrap) is the
 * workflow code beside it: its stamp covers every compiled workflow file and the Temporal
 * workflow runtime, and a bundle built from other sources is refused, by name, before a worker
 * is created.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createHeraldWorker } from '../../apps/worker/src/worker';
import { DEFAULT_WORKFLOW_BUNDLE, loadWorkflowBundle, PROJECT_ROOT, StaleWorkflowBundle, type BundleStamp } from '../../libs/temporal/workflow-bundle';
import { testConfig } from '../support/config';

describe('the prebuilt workflow bundle', () => {
  let stamp: BundleStamp;
  /** A copy of the bundle and of every file it was built from, to change without touching the real ones. */
  let root: string;
  let bundle: string;

  before(() => {
    stamp = loadWorkflowBundle().stamp;
    root = mkdtempSync(join(tmpdir(), 'herald-bundle-'));
    for (const f of Object.keys(stamp.files)) {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      cpSync(join(PROJECT_ROOT, f), join(root, f));
    }
    bundle = join(root, 'dist', 'workflow-bundle.js');
    cpSync(DEFAULT_WORKFLOW_BUNDLE, bundle);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('matches the compiled workflows: every file of dist/workflows and the Temporal workflow runtime are in its stamp', () => {
    const compiled = readdirSync(join(PROJECT_ROOT, 'dist', 'workflows')).filter((f) => f.endsWith('.js'));
    assert.ok(compiled.includes('delivery.workflow.js') && compiled.includes('event.workflow.js'));
    for (const f of compiled) assert.ok(stamp.files[`dist/workflows/${f}`], `dist/workflows/${f} is not in the bundle's stamp`);
    assert.ok(
      Object.keys(stamp.files).some((f) => f.includes('node_modules/@temporalio/workflow/')),
      'the SDK workflow runtime is covered',
    );
    assert.match(stamp.sources, /^[0-9a-f]{64}$/);
  });

  it('hands the worker code whose inline source map the SDK can read: the stamp stays out of it', () => {
    const { code } = loadWorkflowBundle();
    assert.ok(!code.includes('// herald-workflow-bundle '), 'the stamp line is not part of the code');
    // As the SDK's parseWorkflowCode does: everything after the last `base64,` is the map.
    const map = code.slice(code.indexOf('base64,', code.lastIndexOf('//# sourceMappingURL=data:')) + 'base64,'.length).trimEnd();
    const sourceMap = JSON.parse(Buffer.from(map, 'base64').toString()) as { version: number };
    assert.equal(sourceMap.version, 3);
  });

  it('is accepted from a faithful copy, and refused once a workflow source changed, naming the file', () => {
    assert.equal(loadWorkflowBundle(bundle, root).stamp.sources, stamp.sources);
    appendFileSync(join(root, 'dist', 'workflows', 'delivery.workflow.js'), '\n// edited after the bundle was built\n');
    assert.throws(
      () => loadWorkflowBundle(bundle, root),
      (err: Error) => err instanceof StaleWorkflowBundle && /dist\/workflows\/delivery\.workflow\.js/.test(err.message) && /npm run build/.test(err.message),
    );
  });

  it('refuses a bundle without a stamp, and a missing one', () => {
    const unstamped = join(root, 'unstamped.js');
    writeFileSync(unstamped, 'module.exports = {};\n');
    assert.throws(() => loadWorkflowBundle(unstamped, root), /carries no source stamp/);
    assert.throws(() => loadWorkflowBundle(join(root, 'nowhere.js'), root), /not found/);
  });

  it('a worker on a stale bundle does not start: createHeraldWorker rejects before it connects', async () => {
    // A bundle whose stamp says the event workflow was another file: stale against the real sources.
    const code = readFileSync(DEFAULT_WORKFLOW_BUNDLE, 'utf8');
    const file = 'dist/workflows/event.workflow.js';
    const stale = join(root, 'stale-bundle.js');
    writeFileSync(
      stale,
      code.replace(JSON.stringify(stamp), JSON.stringify({ ...stamp, sources: '0'.repeat(64), files: { ...stamp.files, [file]: '0'.repeat(16) } })),
    );
    const config = testConfig({ HERALD_WORKFLOW_BUNDLE: stale });
    assert.equal(config.worker.workflowBundle, stale);
    // No connection or database is reached.
    await assert.rejects(
      createHeraldWorker({ config, connection: undefined as never, dataSource: undefined as never }),
      (err: Error) => err instanceof StaleWorkflowBundle && err.message.includes(file),
    );
  });
});
