import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONFIG_VARIABLES, loadConfig } from '../../libs/config/config';
import { freePort } from '../../libs/devstack/ports';
import { temporalCliPath } from '../../libs/devstack/toolchain';
import { SEARCH_ATTRIBUTES } from '../../libs/temporal/names';
import { imageCreated, uniqueTemplate } from '../support/admin-api';
import { createTestDatabase, stopOwnPostgres } from '../support/database';
import { startReceiver } from '../support/receivers';
import { stopOwnTemporal, testTemporalAddress } from '../support/temporal';

/**
 * deploy/helm/herald, validated offline (no cluster here): `helm lint --strict` and `helm
 * template` for every documented value set, every rendered object decoded STRICTLY against the
 * Kubernetes API types (an unknown or duplicate field, a wrong type or an unserved kind fails),
 * and the chart's commands and variables held to docker-compose.yml and deploy/processes.json.
 * Helm and the decoder are one Go program, deploy/chart-check, built and cached by
 * scripts/chart-check.sh.
 */

const ROOT = join(__dirname, '..', '..', '..');
const CHART = join(ROOT, 'deploy', 'helm', 'herald');
/** The documented value sets: the defaults alone, then each file beside values.yaml. */
const VALUE_SETS = ['values.yaml', 'values-selfhosted.yaml', 'values-cloud.yaml', 'values-cloud-apikey.yaml'] as const;
type ValueSet = (typeof VALUE_SETS)[number];

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  volumes?: { name: string; emptyDir?: object; secret?: { secretName: string } }[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
}
interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown> & { template?: { metadata: { labels: Record<string, string> }; spec: PodSpec } };
}
interface Decoded {
  source?: string;
  kind?: string;
  name?: string;
  object?: K8sObject;
  error?: string;
}

const processes = JSON.parse(readFileSync(join(ROOT, 'deploy', 'processes.json'), 'utf8')) as {
  herald: {
    environment: string[];
    secrets: string[];
    processes: Record<
      'migrate' | 'api' | 'worker',
      { command: string[]; port?: number; liveness?: string; readiness?: string; metricsPort?: number; stopGracePeriodSeconds?: number }
    >;
  };
};

let tool = '';
let helmHome = '';

function run(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  // Helm keeps no state of ours: its cache, config and data directories are a throwaway one.
  const env = {
    PATH: process.env.PATH,
    HOME: helmHome,
    HELM_CACHE_HOME: join(helmHome, 'cache'),
    HELM_CONFIG_HOME: join(helmHome, 'config'),
    HELM_DATA_HOME: join(helmHome, 'data'),
  };
  const res = spawnSync(tool, args, { cwd: ROOT, env, input, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

const valueArgs = (set: ValueSet, chart = CHART): string[] => (set === 'values.yaml' ? [] : ['-f', join(chart, set)]);

function template(set: ValueSet, chart = CHART): string {
  const { status, stdout, stderr } = run(['helm', 'template', 'herald', chart, '--namespace', 'herald', ...valueArgs(set, chart)]);
  assert.equal(status, 0, `helm template (${set}) failed:\n${stderr}`);
  return stdout;
}

function decode(manifest: string): { status: number | null; objects: Decoded[]; stderr: string } {
  const { status, stdout, stderr } = run(['decode'], manifest);
  return { status, objects: JSON.parse(stdout || '[]') as Decoded[], stderr };
}

const rendered = new Map<ValueSet, K8sObject[]>();
function objects(set: ValueSet): K8sObject[] {
  let objs = rendered.get(set);
  if (!objs) {
    const { status, objects: decoded, stderr } = decode(template(set));
    assert.equal(status, 0, `strict decode (${set}) failed:\n${stderr}`);
    objs = decoded.map((d) => d.object!);
    rendered.set(set, objs);
  }
  return objs;
}

function find(set: ValueSet, kind: string, name: string): K8sObject | undefined {
  return objects(set).find((o) => o.kind === kind && o.metadata.name === name);
}
function get(set: ValueSet, kind: string, name: string): K8sObject {
  const o = find(set, kind, name);
  assert.ok(o, `${kind} ${name} not rendered with ${set}: ${objects(set).map((x) => `${x.kind}/${x.metadata.name}`)}`);
  return o;
}
/** The Herald process's container: migrate (Job), api and worker (Deployments). */
function heraldContainer(set: ValueSet, proc: 'migrate' | 'api' | 'worker'): { pod: PodSpec; container: Container } {
  const o = get(set, proc === 'migrate' ? 'Job' : 'Deployment', `herald-${proc}`);
  const pod = o.spec.template!.spec;
  const container = pod.containers.find((c) => c.name === proc);
  assert.ok(container, `container ${proc}`);
  return { pod, container };
}
const envOf = (c: Container): Map<string, EnvVar> => new Map((c.env ?? []).map((e) => [e.name, e]));

type ComposeServices = Record<string, { command: string[]; environment: Record<string, string | null> }>;
let composeResolved: ComposeServices | undefined;

/** docker-compose.yml resolved (as test/e2e/compose.test.ts does): each Herald service's command and variable names. */
function composeServices(): ComposeServices {
  if (composeResolved) return composeResolved;
  const { PATH, HOME } = process.env;
  const env = { PATH, HOME, HERALD_ADMIN_TOKEN: 'compose-admin-token-0123456789', HERALD_SECRET_KEY: Buffer.alloc(32, 9).toString('base64') };
  const res = spawnSync('docker-compose', ['-f', join(ROOT, 'docker-compose.yml'), 'config'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, res.stderr);
  const json = spawnSync('python3', ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
    input: res.stdout,
    encoding: 'utf8',
  });
  assert.equal(json.status, 0, json.stderr);
  composeResolved = (JSON.parse(json.stdout) as { services: ComposeServices }).services;
  return composeResolved;
}

/** What the kubelet hands the process: literal values, and the Secret's keys (present ones only). */
function kubeletEnv(c: Container, secrets: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      const v = secrets[`${ref.name}/${ref.key}`];
      if (v === undefined) assert.ok(ref.optional, `${e.name}: the Secret key ${ref.name}/${ref.key} is required and missing`);
      else out[e.name] = v;
    } else out[e.name] = e.value ?? '';
  }
  return out;
}

before(() => {
  helmHome = mkdtempSync(join(tmpdir(), 'herald-helm-'));
  // Builds the tool once per source hash (minutes when cold), or waits for the build `npm test` started.
  const res = spawnSync('bash', [join(ROOT, 'scripts', 'chart-check.sh')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 40 * 60_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  assert.equal(res.status, 0, 'scripts/chart-check.sh could not build deploy/chart-check');
  tool = res.stdout.trim().split('\n').pop()!;
});
after(async () => {
  rmSync(helmHome, { recursive: true, force: true });
  await stopOwnTemporal();
  await stopOwnPostgres();
});

describe('the Helm chart: helm lint and template, strictly decoded', () => {
  for (const set of VALUE_SETS) {
    it(`passes \`helm lint --strict\` with ${set}`, () => {
      const { status, stdout, stderr } = run(['helm', 'lint', '--strict', CHART, ...valueArgs(set)]);
      assert.equal(status, 0, `helm lint failed:\n${stdout}\n${stderr}`);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    });

    it(`renders with ${set} into objects that decode strictly as Kubernetes API types`, () => {
      const { status, objects: decoded, stderr } = decode(template(set));
      assert.equal(status, 0, stderr);
      assert.deepEqual(
        decoded.filter((d) => d.error),
        [],
      );
      const kinds = decoded.map((d) => `${d.kind}/${d.name}`).sort();
      const expected = [
        'Deployment/herald-api',
        'Deployment/herald-worker',
        'HorizontalPodAutoscaler/herald-api',
        'Job/herald-migrate',
        'NetworkPolicy/herald-api',
        'NetworkPolicy/herald-worker',
        'PodDisruptionBudget/herald-api',
        'PodDisruptionBudget/herald-worker',
        'Service/herald-api',
        'Service/herald-worker-metrics',
        ...(set.startsWith('values-cloud') ? [] : ['Job/herald-search-attributes']),
      ].sort();
      assert.deepEqual(kinds, expected);
    });
  }

  it('fails the strict decode when a chart template carries a misspelled field, a wrong type or a duplicate field (negative controls)', () => {
    const broken = mkdtempSync(join(tmpdir(), 'herald-chart-broken-'));
    try {
      const cases: { file: string; from: string; to: string; error: RegExp }[] = [
        {
          file: 'worker-deployment.yaml',
          from: 'terminationGracePeriodSeconds:',
          to: 'terminationGracePeriod:',
          error: /unknown field "spec\.template\.spec\.terminationGracePeriod"/,
        },
        {
          file: 'worker-deployment.yaml',
          from: 'replicas: {{ .Values.worker.replicas }}',
          to: 'replicas: "three"',
          error: /cannot unmarshal string into Go struct field .*replicas of type int32/,
        },
        {
          file: 'api-service.yaml',
          from: '  type: {{ .Values.api.service.type }}',
          to: '  type: {{ .Values.api.service.type }}\n  type: NodePort',
          error: /duplicate field "spec\.type"|key "type" already set/,
        },
      ];
      for (const c of cases) {
        const chart = join(broken, c.file.replace('.yaml', ''));
        cpSync(CHART, chart, { recursive: true });
        const path = join(chart, 'templates', c.file);
        const text = readFileSync(path, 'utf8');
        assert.ok(text.includes(c.from), `${c.file} holds ${c.from}`);
        writeFileSync(path, text.replace(c.from, c.to));
        // Helm renders it (it checks YAML, not the Kubernetes schema); the strict decode refuses it.
        const { status, objects: decoded, stderr } = decode(template('values.yaml', chart));
        assert.equal(status, 1, `${c.file}: ${c.to} passed the decoder`);
        const failed = decoded.filter((d) => d.error);
        assert.equal(failed.length, 1, JSON.stringify(failed));
        assert.match(failed[0].error!, c.error);
        assert.match(stderr, new RegExp(failed[0].source!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
      }
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it('refuses a kind Kubernetes does not serve and a field misspelled at the top level', () => {
    const { status, objects: decoded } = decode(
      [
        'apiVersion: v1',
        'kind: ConfigMapp',
        'metadata: { name: a }',
        '---',
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata: { name: b }',
        'datta: { k: v }',
        '',
      ].join('\n'),
    );
    assert.equal(status, 1);
    assert.match(decoded[0].error!, /no kind "ConfigMapp" is registered/);
    assert.match(decoded[1].error!, /unknown field "datta"/);
  });

  it('refuses a misspelled value, and a grace period or root filesystem the chart promises otherwise (values.schema.json)', () => {
    const cases: [string, RegExp][] = [
      ['worker.replica=3', /at '\/worker': additional properties 'replica' not allowed/],
      ['temporal.adress=x:7233', /at '\/temporal': additional properties 'adress' not allowed/],
      ['worker.terminationGracePeriodSeconds=30', /at '\/worker\/terminationGracePeriodSeconds': minimum: got 30, want 46/],
      ['containerSecurityContext.readOnlyRootFilesystem=false', /readOnlyRootFilesystem': value must be true/],
    ];
    for (const [set, error] of cases) {
      const { status, stderr } = run(['helm', 'template', 'herald', CHART, '--set', set]);
      assert.notEqual(status, 0, `--set ${set} was accepted`);
      assert.match(stderr, error);
    }
  });

  it('fails `helm lint` on a template that does not parse', () => {
    const broken = mkdtempSync(join(tmpdir(), 'herald-chart-lint-'));
    try {
      cpSync(CHART, broken, { recursive: true });
      const path = join(broken, 'templates', 'api-hpa.yaml');
      writeFileSync(path, readFileSync(path, 'utf8').replace('{{ .Values.api.autoscaling.minReplicas }}', '{{ .Values.api.autoscaling.minReplicas '));
      const { status, stdout } = run(['helm', 'lint', '--strict', broken]);
      assert.notEqual(status, 0);
      assert.match(stdout, /api-hpa\.yaml/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});

describe('the Helm chart runs what docker-compose.yml and deploy/processes.json run', () => {
  it('gives migrate, api and worker the same commands as compose and processes.json', () => {
    const compose = composeServices();
    for (const set of VALUE_SETS) {
      for (const proc of ['migrate', 'api', 'worker'] as const) {
        const { container } = heraldContainer(set, proc);
        assert.deepEqual(container.command, processes.herald.processes[proc].command, `${proc} command (${set}) vs processes.json`);
        assert.deepEqual(container.command, compose[proc].command, `${proc} command (${set}) vs docker-compose.yml`);
        assert.equal(container.args, undefined, `${proc} takes no extra arguments`);
      }
    }
  });

  it("runs the image of Herald's own version by default (the chart's appVersion is package.json's)", () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    assert.match(readFileSync(join(CHART, 'Chart.yaml'), 'utf8'), new RegExp(`^appVersion: "${version.replace(/\./g, '\\.')}"$`, 'm'));
    assert.equal(heraldContainer('values.yaml', 'api').container.image, `herald:${version}`);
  });

  it("gives every Herald process compose's variables, its secrets only by reference, and no variable Herald does not read", () => {
    const compose = composeServices();
    for (const set of VALUE_SETS) {
      for (const proc of ['migrate', 'api', 'worker'] as const) {
        const env = envOf(heraldContainer(set, proc).container);
        for (const name of Object.keys(compose[proc].environment)) assert.ok(env.has(name), `${proc} (${set}) lacks compose's ${name}`);
        for (const name of processes.herald.environment) assert.ok(env.has(name), `${proc} (${set}) lacks processes.json's ${name}`);
        for (const name of env.keys()) assert.ok(CONFIG_VARIABLES.includes(name), `${proc} (${set}) sets ${name}, which Herald does not read`);
        // DATABASE_URL carries the database password: a secret here too.
        for (const name of [...processes.herald.secrets, 'DATABASE_URL', 'TEMPORAL_API_KEY']) {
          const e = env.get(name);
          if (!e) continue;
          assert.equal(e.value, undefined, `${name} must not be a literal value`);
          assert.ok(e.valueFrom?.secretKeyRef, `${name} comes from a Secret`);
        }
        assert.equal(env.get('HERALD_WORKER_METRICS_PORT')?.value, String(processes.herald.processes.worker.metricsPort));
      }
      assert.ok(!objects(set).some((o) => o.kind === 'Secret'), 'the chart creates no Secret: they are referenced');
    }
  });

  it('hands each process a configuration Herald accepts once the referenced Secrets exist', () => {
    const secrets = {
      'herald/DATABASE_URL': 'postgres://herald:pw@db:5432/herald',
      'herald/HERALD_ADMIN_TOKEN': 'helm-admin-token-0123456789',
      'herald/HERALD_SECRET_KEY': Buffer.alloc(32, 7).toString('base64'),
      'herald-temporal-api-key/TEMPORAL_API_KEY': 'cloud-api-key',
    };
    const expectations: Record<ValueSet, (c: ReturnType<typeof loadConfig>) => void> = {
      'values.yaml': (c) => assert.equal(c.temporal.tls, undefined),
      'values-selfhosted.yaml': (c) => {
        assert.equal(c.temporal.address, 'temporal-frontend.temporal.svc.cluster.local:7233');
        assert.equal(c.temporal.namespace, 'herald');
        assert.equal(c.retention.days, 30);
      },
      'values-cloud.yaml': (c) => {
        assert.match(c.temporal.address, /\.tmprl\.cloud:7233$/);
        assert.deepEqual(c.temporal.tls, {
          certPath: '/etc/herald/temporal-tls/tls.crt',
          keyPath: '/etc/herald/temporal-tls/tls.key',
          caPath: undefined,
          serverName: undefined,
        });
      },
      'values-cloud-apikey.yaml': (c) => {
        assert.equal(c.temporal.apiKey, 'cloud-api-key');
        assert.ok(c.temporal.tls, 'an API key turns TLS on');
      },
    };
    for (const set of VALUE_SETS) {
      for (const proc of ['migrate', 'api', 'worker'] as const) {
        const config = loadConfig(kubeletEnv(heraldContainer(set, proc).container, secrets));
        assert.equal(config.logFormat, 'json');
        assert.equal(config.api.ingestToken, undefined, 'the optional ingest token is unset when the Secret lacks it');
        expectations[set](config);
      }
    }
  });

  it('mounts the Temporal client certificate where TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY point (Temporal Cloud, mTLS)', () => {
    for (const proc of ['migrate', 'api', 'worker'] as const) {
      const { pod, container } = heraldContainer('values-cloud.yaml', proc);
      const env = envOf(container);
      const volume = pod.volumes?.find((v) => v.secret?.secretName === 'herald-temporal-tls');
      assert.ok(volume, `${proc} mounts the herald-temporal-tls Secret`);
      const mount = container.volumeMounts?.find((m) => m.name === volume.name);
      assert.ok(mount);
      assert.equal(env.get('TEMPORAL_TLS_CERT')?.value, `${mount.mountPath}/tls.crt`);
      assert.equal(env.get('TEMPORAL_TLS_KEY')?.value, `${mount.mountPath}/tls.key`);
    }
  });

  it('probes the API on /health and /ready, the worker on its metrics port, and scales the API with a HorizontalPodAutoscaler', () => {
    const { api, worker } = processes.herald.processes;
    for (const set of VALUE_SETS) {
      const a = heraldContainer(set, 'api').container;
      const http = a.ports?.find((p) => p.name === 'http');
      assert.equal(http?.containerPort, api.port);
      assert.deepEqual(a.livenessProbe?.httpGet, { path: api.liveness, port: 'http' });
      assert.deepEqual(a.startupProbe?.httpGet, { path: api.liveness, port: 'http' });
      assert.deepEqual(a.readinessProbe?.httpGet, { path: api.readiness, port: 'http' });
      const w = heraldContainer(set, 'worker');
      assert.equal(w.container.ports?.find((p) => p.name === 'metrics')?.containerPort, worker.metricsPort);
      assert.deepEqual(w.container.livenessProbe?.httpGet, { path: '/metrics', port: 'metrics' });
      // An in-flight attempt (HTTP timeout 30 s, its activity 45 s) finishes before the kubelet kills the pod.
      assert.ok((w.pod.terminationGracePeriodSeconds ?? 30) >= worker.stopGracePeriodSeconds!, 'worker grace period');
      assert.ok((w.pod.terminationGracePeriodSeconds ?? 30) > 45, 'worker grace period beyond the send activity timeout');
      const hpa = get(set, 'HorizontalPodAutoscaler', 'herald-api');
      assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'herald-api' });
      assert.equal(get(set, 'Deployment', 'herald-api').spec.replicas, undefined, 'the HPA owns the replica count');
      for (const c of [a, w.container]) assert.ok((c as { resources?: { requests?: object } }).resources?.requests, 'resources requested');
    }
  });

  it('runs the migrations and the search-attribute registration as pre-install/pre-upgrade hooks, attributes first', () => {
    const hook = (o: K8sObject) => o.metadata.annotations ?? {};
    for (const set of ['values.yaml', 'values-selfhosted.yaml'] as const) {
      const migrate = hook(get(set, 'Job', 'herald-migrate'));
      const attrs = get(set, 'Job', 'herald-search-attributes');
      assert.equal(migrate['helm.sh/hook'], 'pre-install,pre-upgrade');
      assert.equal(hook(attrs)['helm.sh/hook'], 'pre-install,pre-upgrade');
      assert.ok(Number(hook(attrs)['helm.sh/hook-weight']) < Number(migrate['helm.sh/hook-weight']));
      // Every attribute of libs/temporal/names.ts, with its type, as compose's job registers them.
      const c = attrs.spec.template!.spec.containers[0];
      const listed = envOf(c).get('HERALD_SEARCH_ATTRIBUTES')?.value?.split(' ');
      assert.deepEqual(
        listed?.sort(),
        Object.entries(SEARCH_ATTRIBUTES)
          .map(([n, t]) => `${n}=${t}`)
          .sort(),
      );
      assert.match(c.args!.join('\n'), /for sa in \$HERALD_SEARCH_ATTRIBUTES/);
      assert.match(c.args!.join('\n'), /temporal operator search-attribute create "\$@" --name "\$name" --type "\$\{sa#\*=\}"/);
      assert.equal(envOf(c).get('TEMPORAL_ADDRESS')?.value, envOf(heraldContainer(set, 'worker').container).get('TEMPORAL_ADDRESS')?.value);
    }
  });
});

describe("the search-attribute hook's script, run against a Temporal server", () => {
  it('registers every attribute with its type in a fresh namespace, and keeps them when run again', async () => {
    const job = get('values-selfhosted.yaml', 'Job', 'herald-search-attributes').spec.template!.spec.containers[0];
    const address = await testTemporalAddress();
    const namespace = `helm-sa-${process.pid}-${Date.now()}`;
    const cli = temporalCliPath();
    const created = spawnSync(cli, ['operator', 'namespace', 'create', '--address', address, '--namespace', namespace], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(created.status, 0, created.stderr);
    // The job's own command and variables, pointed at this server (the Temporal CLI of the admin-tools image here is the one npm test uses).
    const env = {
      ...kubeletEnv(job, {}),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      HOME: helmHome,
      PATH: `${dirname(cli)}:${process.env.PATH}`,
    };
    const runJob = () => spawnSync(job.command![0], [...job.command!.slice(1), ...job.args!], { env, encoding: 'utf8', timeout: 120_000 });
    const first = runJob();
    assert.equal(first.status, 0, first.stderr);
    assert.doesNotMatch(first.stdout, / exists$/m, 'a fresh namespace has none of them yet');
    const listed = spawnSync(cli, ['operator', 'search-attribute', 'list', '--address', address, '--namespace', namespace, '--output', 'json'], {
      encoding: 'utf8',
    });
    assert.equal(listed.status, 0, listed.stderr);
    const registered = JSON.stringify(JSON.parse(listed.stdout));
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) {
      assert.match(
        registered,
        new RegExp(`"${name}":"(INDEXED_VALUE_TYPE_)?${type.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}"`),
        `${name} registered as ${type}`,
      );
    }
    const again = runJob();
    assert.equal(again.status, 0, again.stderr);
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) assert.match(again.stdout, new RegExp(`^${name} exists$`, 'm'));
  });
});

/**
 * A process as the chart's pods run it: the image's user (uid 1000), the root filesystem
 * read-only, a fresh tmpfs its only writable directory (the pods' /tmp emptyDir; TMPDIR here, so
 * a clone under /tmp stays visible), the clone bind-mounted read-only as the image's /app, in a
 * mount namespace of its own (unshare), with the container's command and environment.
 */
function spawnAsPod(command: string[], env: Record<string, string>, scratch: string) {
  const app = mkdtempSync(join(scratch, 'app-'));
  const tmp = mkdtempSync(join(scratch, 'tmp-'));
  for (const dir of [scratch, app, tmp]) chmodSync(dir, 0o755);
  const script = [
    'set -e',
    'mount --bind "$HERALD_POD_ROOT" "$HERALD_POD_APP"',
    'mount -o remount,ro,bind "$HERALD_POD_APP"',
    'mount -o remount,ro,bind /',
    'mount -t tmpfs -o size=64m,mode=1777 tmpfs "$HERALD_POD_TMP"',
    'cd "$HERALD_POD_APP"',
    'exec setpriv --reuid 1000 --regid 1000 --clear-groups -- "$@"',
  ].join('\n');
  const child = spawn(
    'unshare',
    [
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      script,
      'sh',
      'env',
      '-i',
      ...Object.entries({ ...env, TMPDIR: tmp }).map(([k, v]) => `${k}=${v}`),
      process.execPath,
      ...command.slice(1),
    ],
    {
      env: { PATH: process.env.PATH, HERALD_POD_ROOT: ROOT, HERALD_POD_APP: app, HERALD_POD_TMP: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, output: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) assert.fail(`${what} within ${timeoutMs} ms; processes said:\n${output()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("the chart's processes, run as its pods run them", () => {
  it('migrate, api and worker run as uid 1000 on a read-only root with a writable temp directory only, and deliver an event', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'herald-pod-'));
    const db = await createTestDatabase({ migrate: false });
    const receiver = await startReceiver();
    const started: ReturnType<typeof spawnAsPod>[] = [];
    try {
      const [apiPort, metricsPort] = [await freePort(), await freePort()];
      const adminToken = 'helm-pod-admin-token-0123456789';
      const secrets = {
        'herald/DATABASE_URL': db.url,
        'herald/HERALD_ADMIN_TOKEN': adminToken,
        'herald/HERALD_SECRET_KEY': Buffer.alloc(32, 5).toString('base64'),
      };
      // The rendered environment; this machine's addresses and free ports in place of the cluster's.
      const local = {
        TEMPORAL_ADDRESS: await testTemporalAddress(),
        HERALD_TASK_QUEUE: `helm-pod-${process.pid}`,
        HERALD_API_PORT: String(apiPort),
        HERALD_WORKER_METRICS_PORT: String(metricsPort),
        HERALD_ALLOWED_TARGETS: '127.0.0.1',
        HERALD_ALLOW_HTTP: 'true',
      };
      const pod = (proc: 'migrate' | 'api' | 'worker') => {
        const { container } = heraldContainer('values.yaml', proc);
        return spawnAsPod(container.command!, { ...kubeletEnv(container, secrets), ...local }, scratch);
      };

      // The sandbox holds: uid 1000, the app and the root unwritable, the temp directory writable.
      const probe = spawnAsPod(
        [
          'node',
          '-e',
          `const fs = require('node:fs'), os = require('node:os'), path = require('node:path');
           const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return e.code; } };
           console.log(JSON.stringify({ uid: process.getuid(), app: tryWrite('probe'), root: tryWrite('/probe'), tmp: tryWrite(path.join(os.tmpdir(), 'probe')) }));`,
        ],
        {},
        scratch,
      );
      assert.equal(await probe.exited, 0, probe.output());
      assert.deepEqual(JSON.parse(probe.output()), { uid: 1000, app: 'EROFS', root: 'EROFS', tmp: 'written' });

      const migrate = pod('migrate');
      started.push(migrate);
      assert.equal(await migrate.exited, 0, migrate.output());
      assert.match(migrate.output(), /applied /);

      const api = pod('api');
      const worker = pod('worker');
      started.push(api, worker);
      const output = () => started.map((p) => p.output()).join('\n');
      const base = `http://127.0.0.1:${apiPort}`;
      await until('the API /ready', async () => ((await fetch(`${base}/ready`)).status === 200 ? true : undefined), 90_000, output);
      await until('the worker /metrics', async () => ((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).ok ? true : undefined), 90_000, output);

      const call = async (path: string, body: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as { id: string } };
      };
      const templateId = uniqueTemplate();
      const sub = await call('/v1/subscriptions', { url: receiver.url, eventTypes: ['image.created'], templateIds: [templateId] });
      assert.equal(sub.status, 201, JSON.stringify(sub.body));
      const event = await call('/v1/events', imageCreated({ templateId }));
      assert.equal(event.status, 202, JSON.stringify(event.body));
      await until('the delivery', async () => (receiver.requests.some((r) => r.headers['webhook-id']) ? true : undefined), 90_000, output);
      assert.doesNotMatch(output(), /EROFS|read-only file system|EACCES/i);
    } finally {
      for (const p of started) if (p.child.exitCode === null) p.child.kill('SIGTERM');
      await Promise.all(started.map((p) => p.exited));
      await receiver.close();
      await db.drop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});

describe('the Helm chart is locked down', () => {
  it('runs every pod as non-root with a read-only root filesystem, no privilege escalation, no capabilities and no service-account token', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    assert.match(dockerfile.split(/^FROM\s+/im).pop()!, /^USER node$/m, "the image runs as node (uid 1000 in Node's official images)");
    for (const set of VALUE_SETS) {
      for (const o of objects(set).filter((x) => x.spec.template)) {
        const pod = o.spec.template!.spec;
        assert.equal(pod.securityContext?.runAsNonRoot, true, `${o.metadata.name} runAsNonRoot`);
        assert.equal(pod.automountServiceAccountToken, false, `${o.metadata.name} mounts no token`);
        const tmp = pod.volumes?.find((v) => v.name === 'tmp');
        assert.ok(tmp?.emptyDir, `${o.metadata.name} has a writable /tmp`);
        for (const c of pod.containers) {
          const sc = c.securityContext ?? {};
          assert.equal(sc.readOnlyRootFilesystem, true, `${c.name} read-only root`);
          assert.equal(sc.allowPrivilegeEscalation, false, `${c.name} no privilege escalation`);
          assert.deepEqual(sc.capabilities?.drop, ['ALL'], `${c.name} drops capabilities`);
          assert.notEqual(sc.runAsUser ?? pod.securityContext?.runAsUser, 0, `${c.name} is not root`);
          assert.ok(
            c.volumeMounts?.some((m) => m.name === 'tmp' && m.mountPath === '/tmp'),
            `${c.name} mounts /tmp`,
          );
        }
      }
    }
  });

  it('selects the API and worker pods with NetworkPolicies: only their ports in; only DNS, Postgres, Temporal and public receivers out', () => {
    for (const set of VALUE_SETS) {
      for (const proc of ['api', 'worker'] as const) {
        const np = get(set, 'NetworkPolicy', `herald-${proc}`).spec as {
          podSelector: { matchLabels: Record<string, string> };
          policyTypes: string[];
          ingress: { ports: { port: string }[] }[];
          egress: { ports?: { port: number }[]; to?: { ipBlock?: { cidr: string; except?: string[] } }[] }[];
        };
        const podLabels = get(set, 'Deployment', `herald-${proc}`).spec.template!.metadata.labels;
        for (const [k, v] of Object.entries(np.podSelector.matchLabels)) assert.equal(podLabels[k], v, `${proc} NetworkPolicy selects its pods (${k})`);
        assert.deepEqual(np.policyTypes, ['Ingress', 'Egress']);
        assert.deepEqual(
          np.ingress.flatMap((r) => r.ports.map((p) => p.port)),
          [proc === 'api' ? 'http' : 'metrics'],
        );
        const ports = np.egress.flatMap((r) => (r.ports ?? []).map((p) => p.port));
        for (const p of [53, 5432, 7233]) assert.ok(ports.includes(p), `${proc} may reach port ${p}`);
        // The one rule without ports: receivers (the worker's deliveries, the API's test sends), public addresses only.
        const open = np.egress.filter((r) => !r.ports);
        assert.equal(open.length, 1, `${proc}: one portless egress rule`);
        const blocks = open[0].to!.map((t) => t.ipBlock!);
        assert.deepEqual(
          blocks.map((b) => b.cidr),
          ['0.0.0.0/0', '::/0'],
        );
        for (const cidr of ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16', '127.0.0.0/8'])
          assert.ok(blocks[0].except?.includes(cidr), `${proc}: receivers exclude ${cidr}`);
        for (const cidr of ['fc00::/7', 'fe80::/10', '::1/128']) assert.ok(blocks[1].except?.includes(cidr), `${proc}: receivers exclude ${cidr}`);
      }
    }
  });
});
