/**
 * `npm test`'s runner: starts ONE embedded Postgres and ONE Temporal dev server for the whole
 * run, hands their addresses to every test file through the environment, runs the files with
 * Node's test runner, then stops both. Each test file makes its own database and task queue.
 *
 * Usage: node dist/test/run.js [path-substring ...]   (no argument: the whole suite)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startEmbeddedPostgres } from '../libs/devstack/embedded-postgres';
import { freePort } from '../libs/devstack/ports';
import { startTemporalDevServer } from '../libs/devstack/temporal-dev-server';

const SUITES = ['unit', 'workflows', 'e2e', 'faults', 'browser'];

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' || name === 'support' ? [] : testFiles(path);
    return name.endsWith('.test.js') ? [path] : [];
  });
}

async function main(): Promise<number> {
  const filters = process.argv.slice(2);
  const files = SUITES.flatMap((s) => {
    const dir = join(__dirname, s);
    try { return testFiles(dir); } catch { return []; }
  }).filter((f) => filters.length === 0 || filters.some((x) => relative(__dirname, f).includes(x)));
  if (files.length === 0) {
    process.stderr.write('no test files matched\n');
    return 1;
  }

  const pgDir = mkdtempSync(join(tmpdir(), 'herald-test-pg-'));
  const started = Date.now();
  const [pg, temporal] = await Promise.all([
    (async () => startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), persistent: false }))(),
    (async () => startTemporalDevServer({ port: await freePort() }))(),
  ]);
  process.stderr.write(`test infrastructure up in ${Date.now() - started} ms: postgres ${pg.port}, temporal ${temporal.address}\n`);

  try {
    const concurrency = process.env.HERALD_TEST_CONCURRENCY ?? '1';
    const child = spawn(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...files], {
      stdio: 'inherit',
      env: { ...process.env, HERALD_TEST_PG_ADMIN_URL: pg.adminUrl, HERALD_TEST_TEMPORAL_ADDRESS: temporal.address },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    await temporal.stop();
    await pg.stop();
    rmSync(pgDir, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  process.stderr.write(`test runner failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
