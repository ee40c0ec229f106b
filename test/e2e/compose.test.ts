import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../libs/config/config';
import { processDefinitions } from '../../libs/devstack/processes';
import { SEARCH_ATTRIBUTES } from '../../libs/temporal/names';

/**
 * docker-compose.yml cannot be run here (no container engine), so it is validated: the file
 * resolves, the topology is complete, the Herald services run the Dockerfile's image with a
 * configuration Herald accepts, and the image runs as a non-root user.
 */

const ROOT = join(__dirname, '..', '..', '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const REQUIRED_ENV = { HERALD_ADMIN_TOKEN: 'compose-admin-token-0123456789', HERALD_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') };

function compose(args: string[], env: Record<string, string> = REQUIRED_ENV): { status: number | null; stdout: string; stderr: string } {
  const { PATH, HOME } = process.env;
  const res = spawnSync('docker-compose', ['-f', COMPOSE_FILE, ...args], { cwd: ROOT, env: { PATH, HOME, ...env }, encoding: 'utf8', timeout: 60_000 });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
}

/**
 * The resolved configuration as JSON. docker-compose v1 has no JSON output; it is a Python
 * program built on PyYAML, so the PyYAML it runs on converts its YAML.
 */
function resolvedConfig(): { services: Record<string, Service> } {
  const { status, stdout, stderr } = compose(['config']);
  assert.equal(status, 0, stderr);
  const json = spawnSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], { input: stdout, encoding: 'utf8' });
  assert.equal(json.status, 0, json.stderr);
  return JSON.parse(json.stdout);
}

describe('docker-compose.yml (validated, not run)', () => {
  it('validates with `docker-compose config -q` once the required variables are set', () => {
    const { status, stderr } = compose(['config', '-q']);
    assert.equal(status, 0, `docker-compose config -q failed:\n${stderr}`);
    assert.doesNotMatch(stderr, /ERROR|invalid/i);
  });

  it('refuses to resolve without the admin token, naming it', () => {
    const { status, stderr } = compose(['config', '-q'], { HERALD_SECRET_KEY: REQUIRED_ENV.HERALD_SECRET_KEY });
    assert.notEqual(status, 0);
    assert.match(stderr, /HERALD_ADMIN_TOKEN/);
  });

  it('has the whole topology: postgres, temporal, temporal-ui, search-attributes, migrate, api, worker', () => {
    const { status, stdout, stderr } = compose(['config', '--services']);
    assert.equal(status, 0, stderr);
    const services = stdout
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'search-attributes', 'migrate', 'api', 'worker']) {
      assert.ok(services.includes(name), `service ${name} missing from ${services.join(', ')}`);
    }
  });

  it('runs migrate, api and worker from the image the Dockerfile builds, on compiled entry points that exist', () => {
    const { services } = resolvedConfig();
    for (const name of ['migrate', 'api', 'worker']) {
      const s = services[name];
      assert.equal(s.image, 'herald:latest', `${name} image`);
      assert.ok(s.build, `${name} must build its image from the Dockerfile, not pull it`);
      assert.equal(s.build.context, ROOT, `${name} build context`);
      assert.equal(s.build.dockerfile ?? 'Dockerfile', 'Dockerfile');
      const command = Array.isArray(s.command) ? s.command : String(s.command).split(' ');
      const entry = command.find((c) => c.startsWith('dist/'));
      assert.ok(entry, `${name} runs a dist/ entry point: ${command.join(' ')}`);
      assert.ok(existsSync(join(ROOT, entry)), `${entry} (run by ${name}) does not exist after the build`);
    }
    assert.ok(existsSync(join(ROOT, 'Dockerfile')));
  });

  it('gives the Herald services a configuration Herald itself accepts', () => {
    const { services } = resolvedConfig();
    for (const name of ['migrate', 'api', 'worker']) {
      const env = Object.fromEntries(Object.entries(services[name].environment ?? {}).map(([k, v]) => [k, v ?? '']));
      const config = loadConfig(env);
      assert.equal(config.temporal.address, 'temporal:7233');
      assert.match(config.databaseUrl, /@postgres:5432\//);
      assert.equal(config.api.ingestToken, undefined, 'an empty HERALD_INGEST_TOKEN counts as unset');
    }
    for (const name of ['api', 'worker']) {
      const deps = services[name].depends_on ?? {};
      assert.equal(deps.migrate?.condition, 'service_completed_successfully', `${name} starts after the migrations`);
      assert.equal(deps['search-attributes']?.condition, 'service_completed_successfully', `${name} starts after the search attributes exist`);
    }
  });

  it("registers every one of Herald's search attributes with its type", () => {
    const { services } = resolvedConfig();
    const command = [services['search-attributes'].command].flat().join(' ');
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) assert.ok(command.includes(`${name}=${type}`), `${name}=${type} not registered`);
  });

  it('builds an image whose runtime stage runs as a non-root user', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.split(/^FROM\s+/im).slice(1);
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    const runtime = stages[stages.length - 1];
    const users = [...runtime.matchAll(/^USER\s+(\S+)/gim)].map((m) => m[1]);
    assert.ok(users.length > 0, 'the runtime stage sets USER');
    const user = users[users.length - 1];
    assert.ok(!['root', '0', '0:0'].includes(user) && !user.startsWith('root:') && !user.startsWith('0:'), `runtime USER is ${user}`);
    assert.doesNotMatch(runtime, /npm install|devDependencies/, 'the runtime stage installs nothing');
  });

  // deploy/processes.json is the one source `npm run cluster` starts its processes from: compose
  // (and the Helm chart) must run the same commands with the same variables.
  it('runs migrate, api and worker with the commands and variables of deploy/processes.json', () => {
    const { services } = resolvedConfig();
    const defs = processDefinitions();
    for (const [name, process] of Object.entries(defs.herald.processes)) {
      const s = services[name];
      assert.ok(s, `deploy/processes.json names ${name}, compose has no such service`);
      assert.deepEqual(s.command, process.command, `${name}'s command`);
      assert.equal(s.image, defs.herald.image, `${name}'s image`);
      assert.deepEqual(Object.keys(s.environment ?? {}).sort(), [...defs.herald.environment].sort(), `${name}'s variables`);
    }
    assert.equal(services.worker.stop_grace_period, `${defs.herald.processes.worker.stopGracePeriodSeconds}s`, "the worker's grace period");
    assert.equal(services.worker.environment?.HERALD_WORKER_METRICS_PORT, String(defs.herald.processes.worker.metricsPort));
    for (const variable of defs.herald.secrets) assert.ok(defs.herald.environment.includes(variable), `secret ${variable} is not among the variables`);
  });
});
