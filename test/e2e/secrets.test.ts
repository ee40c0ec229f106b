/**
 * Secrets never leak. Subscriptions carry a known signing secret, custom headers with
 * credential-like values and a `userDefined` value; events carry a marker in their data. The real
 * API and worker processes (logging at `trace`) deliver them to a receiver that succeeds and one
 * that fails until a delivery is dead-lettered, retried by hand, or left retrying. Then every
 * place an operator or an attacker with read access could look is searched for the markers:
 * Temporal histories (payloads decoded), memo and search attributes, API responses, logs,
 * metrics, and the database. Both processes trace and push metrics over OTLP (to a stand-in
 * collector): every exported span and metric is searched too.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { Attempt, DeadLetter } from '../../libs/db/entities';
import { SAMPLE_IMAGE_CREATED } from '../../libs/delivery/payload';
import { freePort, waitForPort } from '../../libs/devstack/ports';
import { connectClient } from '../../libs/temporal/connection';
import { DeliveryService } from '../../libs/temporal/delivery-service';
import { deliveryWorkflowId, eventWorkflowId } from '../../libs/temporal/names';
import { verifySignature } from '../support/admin-api';
import { testConfig, TEST_ADMIN_TOKEN } from '../support/config';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { deliveriesOf, exhaustDelivery, waitForDelivery } from '../support/deliveries';
import { eventually, testSecretBox } from '../support/engine';
import { reportSecurity } from '../support/load';
import { envFor, spawnHerald, type HeraldProcess } from '../support/processes';
import { startOtlpCollector, type OtlpCollector } from '../support/otlp-collector';
import { startReceiver, type Receiver } from '../support/receivers';
import { testTemporalAddress } from '../support/temporal';

const tag = (name: string): string => `CANARY_${name}_${randomBytes(6).toString('hex')}`;

/** A `whsec_` secret and the strings that would betray it: the key in base64, base64url and hex. */
function knownSecret(): { secret: string; forms: string[] } {
  const key = randomBytes(32);
  const secret = `whsec_${key.toString('base64')}`;
  return { secret, forms: [secret, key.toString('base64'), key.toString('base64url'), key.toString('hex')] };
}

/** Every string of `needles` found in `haystack`. */
const found = (haystack: string, needles: readonly string[]): string[] => needles.filter((n) => haystack.includes(n));

/**
 * A history (or any Temporal API object) as searchable text: the object as JSON with every byte
 * field shown both as base64 and as the UTF-8 text it decodes to. Payload data is JSON in bytes,
 * so a value in an activity's input or result, a memo or a search attribute appears as plain text.
 */
function searchable(value: unknown): string {
  const plain = (v: unknown, depth: number): unknown => {
    if (depth > 64) return '[too deep]';
    if (v instanceof Uint8Array) {
      const bytes = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      return { base64: bytes.toString('base64'), utf8: bytes.toString('utf8') };
    }
    if (Array.isArray(v)) return v.map((x) => plain(x, depth + 1));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x, depth + 1)]));
    return v;
  };
  // JSON escapes nothing in the markers (letters, digits, `_`, `+`, `/`, `=`), so a plain search works.
  return JSON.stringify(plain(value, 0));
}

/** Every run of `workflowId`: the latest, plus the earlier ones visibility knows about. */
async function everyRun(client: Client, workflowId: string): Promise<string> {
  const runIds = new Set<string | undefined>([undefined]);
  for await (const w of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runIds.add(w.runId);
  const texts: string[] = [];
  for (const runId of runIds) {
    const handle = client.workflow.getHandle(workflowId, runId);
    const description = await handle.describe();
    texts.push(
      searchable(await handle.fetchHistory()),
      searchable(description.raw),
      JSON.stringify({
        memo: await description.memo,
        searchAttributes: description.searchAttributes,
        typedSearchAttributes: description.typedSearchAttributes,
      }),
    );
  }
  return texts.join('\n');
}

interface ApiResponse {
  what: string;
  status: number;
  text: string;
  body: any;
}

describe('secrets never leak', () => {
  let db: TestDatabase;
  let client: Client;
  let deliveries: DeliveryService;
  let api: HeraldProcess;
  let worker: HeraldProcess;
  let apiUrl: string;
  let workerMetricsUrl: string;
  let ok: Receiver;
  let failing: Receiver;
  let collector: OtlpCollector;

  // The markers. Secrets: the two given at create, the one a rotation generated.
  const okSecret = knownSecret();
  const failSecret = knownSecret();
  let rotatedSecret: { secret: string; forms: string[] };
  const headerCanaries = [tag('HDR'), tag('KEY')];
  const userDefinedCanary = tag('UD');
  const bodyCanary = tag('BODY');
  const rejectedCanaries = [tag('BADSECRET'), tag('BADHDR'), tag('URLPASS'), tag('BADSTATUS')];
  const secretForms = (): string[] => [...okSecret.forms, ...failSecret.forms, ...rotatedSecret.forms];
  /** Never anywhere but in the response that hands the secret out, and the receiver's signature check. */
  const allCanaries = (): string[] => [...secretForms(), ...headerCanaries, userDefinedCanary, bodyCanary, ...rejectedCanaries];

  const responses: ApiResponse[] = [];
  let okSubId: string;
  let failSubId: string;
  const eventIds: string[] = [];
  let deadLetterId: string;

  async function call(what: string, path: string, init: { method?: string; json?: unknown } = {}): Promise<ApiResponse> {
    const res = await fetch(apiUrl + path, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: init.json !== undefined ? JSON.stringify(init.json) : undefined,
    });
    const text = await res.text();
    const response: ApiResponse = { what, status: res.status, text, body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
    responses.push(response);
    return response;
  }

  const subscription = (url: string, secret: string, templateId: string) => ({
    url,
    eventTypes: ['image.created'],
    templateIds: [templateId],
    secret,
    headers: { Authorization: `Bearer ${headerCanaries[0]}`, 'X-Api-Key': headerCanaries[1] },
    userDefined: { auth: userDefinedCanary },
  });
  const event = (templateId: string) => ({
    type: 'image.created',
    templateId,
    data: { ...structuredClone(SAMPLE_IMAGE_CREATED), metadata: { note: bodyCanary } },
  });

  async function postEvent(templateId: string): Promise<string> {
    const res = await call('POST /v1/events', '/v1/events', { method: 'POST', json: event(templateId) });
    assert.equal(res.status, 202, res.text);
    eventIds.push(res.body.id);
    return res.body.id as string;
  }

  before(async () => {
    db = await createTestDatabase();
    const config = testConfig({ DATABASE_URL: db.url, TEMPORAL_ADDRESS: await testTemporalAddress() });
    client = await connectClient(config);
    deliveries = new DeliveryService(client, config.temporal.taskQueue, config.temporal.uiUrl, config.temporal.namespace);
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    collector = await startOtlpCollector();
    // Traces and metrics over OTLP (JSON, so the export is searchable as text), exported often.
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '500',
    };
    // The production entry points, at the most verbose level: whatever they log is captured.
    api = spawnHerald('api', envFor(config, { HERALD_API_PORT: String(apiPort), HERALD_API_HOST: '127.0.0.1', HERALD_LOG_LEVEL: 'trace', ...otel }));
    worker = spawnHerald('worker', envFor(config, { HERALD_WORKER_METRICS_PORT: String(metricsPort), HERALD_LOG_LEVEL: 'trace', ...otel }));
    await waitForPort(apiPort, 30_000).catch((err: Error) => assert.fail(`${err.message}; api output:\n${api.output()}`));
    await waitForPort(metricsPort, 30_000).catch((err: Error) => assert.fail(`${err.message}; worker output:\n${worker.output()}`));
    apiUrl = `http://127.0.0.1:${apiPort}`;
    workerMetricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    ok = await startReceiver({ kind: 'status', status: 200 });
    failing = await startReceiver({ kind: 'status', status: 500 });

    // Inputs the API refuses, each carrying a marker: the error must not echo it.
    await call('bad secret', '/v1/subscriptions', { method: 'POST', json: { ...subscription(ok.url, `whsec_${rejectedCanaries[0]}!`, 'tpl_x') } });
    await call('bad header', '/v1/subscriptions', {
      method: 'POST',
      json: { ...subscription(ok.url, okSecret.secret, 'tpl_x'), headers: { 'x-a': `${rejectedCanaries[1]}\r\nx-injected: 1` } },
    });
    await call('credentials in url', '/v1/subscriptions', {
      method: 'POST',
      json: subscription(`http://user:${rejectedCanaries[2]}@127.0.0.1:${ok.port}/hook`, okSecret.secret, 'tpl_x'),
    });
    await call('bad event', '/v1/events', {
      method: 'POST',
      json: { ...event('tpl_x'), data: { ...event('tpl_x').data, image_url: `ftp://${rejectedCanaries[3]}.example/i.png` } },
    });
    assert.deepEqual(
      responses.map((r) => r.status),
      [422, 422, 422, 422],
      responses.map((r) => r.text).join('\n'),
    );

    const okTpl = `tpl_${randomBytes(4).toString('hex')}`;
    const failTpl = `tpl_${randomBytes(4).toString('hex')}`;
    const created = await call('create ok', '/v1/subscriptions', { method: 'POST', json: subscription(ok.url, okSecret.secret, okTpl) });
    const createdFail = await call('create failing', '/v1/subscriptions', { method: 'POST', json: subscription(failing.url, failSecret.secret, failTpl) });
    assert.equal(created.status, 201, created.text);
    assert.equal(createdFail.status, 201, createdFail.text);
    okSubId = created.body.id;
    failSubId = createdFail.body.id;
    // Rotated: its deliveries are signed with the new secret and, for 24 h, the old one too.
    const rotated = await call('rotate', `/v1/subscriptions/${failSubId}/rotate-secret`, { method: 'POST', json: {} });
    assert.equal(rotated.status, 200, rotated.text);
    const key = Buffer.from(String(rotated.body.secret).slice('whsec_'.length), 'base64');
    rotatedSecret = { secret: rotated.body.secret, forms: [rotated.body.secret, key.toString('base64'), key.toString('base64url'), key.toString('hex')] };

    // A success; a delivery run to the dead letter and retried by hand; one left retrying.
    const okEvent = await postEvent(okTpl);
    const deadEvent = await postEvent(failTpl);
    const retryingEvent = await postEvent(failTpl);
    const [okDelivery] = await deliveriesOf(db.dataSource, okEvent);
    const [deadDelivery] = await deliveriesOf(db.dataSource, deadEvent);
    const [retryingDelivery] = await deliveriesOf(db.dataSource, retryingEvent);
    await waitForDelivery(db.dataSource, okDelivery.id, 'succeeded');
    await exhaustDelivery(db.dataSource, deliveries, deadDelivery.id);
    await waitForDelivery(db.dataSource, retryingDelivery.id, 'retrying', { attempts: 2 });
    deadLetterId = (await db.dataSource.getRepository(DeadLetter).findOneByOrFail({ deliveryId: deadDelivery.id })).id;
    const retried = await call('retry dead letter', `/v1/dead-letters/${deadLetterId}/retry`, { method: 'POST' });
    assert.equal(retried.status, 202, retried.text);
    await eventually(() => db.dataSource.getRepository(Attempt).findOneBy({ deliveryId: deadDelivery.id, trigger: 'manual' }), 20_000, 'the manual attempt');
    await call('test send', `/v1/subscriptions/${okSubId}/test`, { method: 'POST' });

    // Everything the API shows about them.
    await call('list subscriptions', '/v1/subscriptions');
    await call('get ok subscription', `/v1/subscriptions/${okSubId}`);
    await call('get failing subscription', `/v1/subscriptions/${failSubId}`);
    await call('patch subscription', `/v1/subscriptions/${okSubId}`, { method: 'PATCH', json: { description: 'patched' } });
    await call('list deliveries', '/v1/deliveries');
    for (const d of [okDelivery, deadDelivery, retryingDelivery]) await call(`get delivery ${d.id}`, `/v1/deliveries/${d.id}`);
    for (const id of eventIds) await call(`get event ${id}`, `/v1/events/${id}`);
    await call('list dead letters', '/v1/dead-letters');
    await call('get dead letter', `/v1/dead-letters/${deadLetterId}`);
    await call('missing subscription', '/v1/subscriptions/sub_00000000000000000000000000');
  });

  after(async () => {
    // The retrying delivery would wait on its timer in the shared Temporal server.
    if (failSubId && eventIds[2])
      await client.workflow
        .getHandle(deliveryWorkflowId(eventIds[2], failSubId))
        .terminate('test over')
        .catch(() => undefined);
    await api?.stop();
    await worker?.stop();
    await ok?.close();
    await failing?.close();
    await client?.connection.close();
    await collector?.close();
    await db?.drop();
  });

  it('really sent the markers: headers, body and user_defined reached the receivers, signed with the secrets', () => {
    const okRequest = ok.requests.find((r) => r.headers['x-herald-event-type'] && r.body.includes(bodyCanary));
    assert.ok(okRequest, 'the successful delivery arrived');
    assert.equal(okRequest.headers.authorization, `Bearer ${headerCanaries[0]}`);
    assert.equal(okRequest.headers['x-api-key'], headerCanaries[1]);
    assert.ok(okRequest.body.includes(userDefinedCanary));
    verifySignature(okSecret.secret, okRequest);
    const failRequest = failing.requests.at(-1)!;
    const [current, previous] = failRequest.headers['webhook-signature'].split(' ');
    verifySignature(rotatedSecret.secret, failRequest, current);
    verifySignature(failSecret.secret, failRequest, previous);
    assert.ok(failing.requests.length >= 6 + 1 + 2, 'six scheduled attempts, one manual, two of the retrying delivery');
  });

  it('keeps every marker out of the Temporal histories, memo and search attributes of every run', async () => {
    // The event workflows, and the delivery workflows of the two deliveries that had to retry (the
    // successful one was delivered by its event workflow's first attempt, and has none).
    const ids = [...eventIds.map(eventWorkflowId), deliveryWorkflowId(eventIds[1], failSubId), deliveryWorkflowId(eventIds[2], failSubId)];
    const holders: { workflow_id: string }[] = await db.dataSource.query(`SELECT DISTINCT workflow_id FROM deliveries`);
    assert.deepEqual(
      holders.map((h) => h.workflow_id).sort(),
      [eventWorkflowId(eventIds[0]), ids[3], ids[4]].sort(),
      'every workflow holding a delivery is searched',
    );
    let leaks = 0;
    let clean = 0;
    for (const id of ids) {
      const text = await everyRun(client, id);
      leaks += found(text, allCanaries()).length;
      if (found(text, allCanaries()).length === 0) clean++;
      assert.deepEqual(found(text, allCanaries()), [], `workflow ${id}`);
      if (id.startsWith('delivery:')) {
        // The search did look inside payloads: the decoded activity results and memo are there (a
        // sealed request from an attempt in stages, or a local attempt's report).
        assert.match(text, /"sealedRequest\\?":\\?"v1\.|"kind\\?":\\?"attempted/, `decoded payloads of ${id}`);
        assert.ok(text.includes(`127.0.0.1:${failing.port}`), `the memo's url in ${id}`);
      } else {
        // The first attempts' decoded results (their outcome, or the batch's report) and the match's url are there.
        assert.match(text, /"kind\\?":\\?"(sent|attempted)/, `decoded payloads of ${id}`);
        assert.ok(text.includes(`127.0.0.1:${id === eventWorkflowId(eventIds[0]) ? ok.port : failing.port}`), `the attempt's url in ${id}`);
      }
    }
    // The manual retry made a second run of the dead-lettered delivery, and it was searched too.
    const runs: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowId = "${deliveryWorkflowId(eventIds[1], failSubId)}"` })) runs.push(w.runId);
    assert.ok(runs.length >= 2, `runs of the retried delivery: ${runs.length}`);
    reportSecurity({
      check: 'secrets in Temporal histories',
      cases: ids.length,
      refused: clean,
      through: leaks,
      notes: `every run of ${ids.length} workflows (success, dead letter + manual retry, retrying) with payloads decoded, memo and search attributes: no secret (4 encodings), header value, body or user_defined marker; the same markers absent from API lists, errors, logs, metrics and Postgres (secrets AES-GCM sealed)`,
    });
  });

  it('seals the prepared request in the history: the markers are inside, readable only with HERALD_SECRET_KEY', async () => {
    // The manual retry's run: a manual attempt goes in stages, so its prepared request is in the
    // history (a scheduled retry is one local activity and never puts its request there).
    const history = await client.workflow.getHandle(deliveryWorkflowId(eventIds[1], failSubId)).fetchHistory();
    const sealed = searchable(history).match(/sealedRequest\\?":\\?"(v1\.[A-Za-z0-9_.-]+)/)?.[1];
    assert.ok(sealed, 'a sealed request in the history');
    const opened = testSecretBox().open(sealed);
    assert.equal(found(opened, [headerCanaries[0], headerCanaries[1], bodyCanary, userDefinedCanary]).length, 4);
    // An inline first attempt prepares, sends and returns its outcome in one local activity: the request never enters the history.
    const inline = searchable(await client.workflow.getHandle(eventWorkflowId(eventIds[0])).fetchHistory());
    assert.doesNotMatch(inline, /sealedRequest/, 'no request in the event workflow that delivered inline');
  });

  it('shows a secret only in the create or rotate response that hands it out', () => {
    const handsOut = new Map([
      ['create ok', okSecret],
      ['create failing', failSecret],
      ['rotate', rotatedSecret],
    ]);
    for (const r of responses) {
      const given = handsOut.get(r.what);
      if (given) assert.equal(r.body.secret, given.secret);
      const leaked = found(r.text, secretForms()).filter((s) => !given?.forms.includes(s));
      assert.deepEqual(leaked, [], `${r.what} (${r.status})`);
    }
  });

  it('echoes no refused value in an error response', () => {
    for (const r of responses.filter((x) => x.status >= 400)) {
      assert.deepEqual(found(r.text, allCanaries()), [], `${r.what} (${r.status}): ${r.text}`);
      assert.ok(r.body.error?.code, `${r.what}: the error shape`);
    }
    assert.ok(
      responses.some((r) => r.status === 404),
      'a not-found error was checked too',
    );
  });

  it('shows header values, user_defined and event data only where they are the resource itself', () => {
    // By design the admin reads back a subscription's own configuration (headers, userDefined),
    // an event as it was posted (data) and a dead letter's payload as last sent. Those fields may
    // hold the markers, but no secret; every other field of every response holds no marker at all.
    const designFields = (what: string): string[] =>
      /subscription|create|rotate/.test(what)
        ? ['headers', 'userDefined']
        : what.startsWith('get event')
          ? ['data']
          : /dead letters?$/.test(what)
            ? ['payload']
            : [];
    let shown = 0;
    for (const r of responses.filter((x) => x.status < 400)) {
      const fields = designFields(r.what);
      const items: Array<Record<string, unknown>> = r.what.startsWith('list') ? r.body.data : [r.body];
      const rest = items.map((item) => Object.fromEntries(Object.entries(item).filter(([k]) => !fields.includes(k) && k !== 'secret')));
      assert.deepEqual(found(JSON.stringify(rest), allCanaries()), [], r.what);
      const design = JSON.stringify(items.map((item) => fields.map((f) => item[f])));
      assert.deepEqual(found(design, secretForms()), [], `${r.what}: ${fields.join(', ')}`);
      shown += found(design, [...headerCanaries, userDefinedCanary, bodyCanary]).length;
    }
    assert.ok(shown > 0, 'the design fields were looked at');
    const dead = responses.find((r) => r.what.startsWith('get delivery') && r.body.status === 'dead_lettered')?.body;
    assert.equal(dead?.attempts.length, 7, 'six scheduled attempts and a manual one, each searched');
    assert.equal(responses.find((r) => r.what === 'get dead letter')?.body.payload.metadata.note, bodyCanary);
  });

  it('shows custom header values only masked: no planted value in any API response', () => {
    for (const r of responses) assert.deepEqual(found(r.text, headerCanaries), [], `${r.what} (${r.status})`);
    const views = responses.filter((r) => r.status < 400 && /subscription|create|rotate/.test(r.what) && !r.what.startsWith('test'));
    const items = views
      .flatMap((r) => (r.what.startsWith('list') ? r.body.data : [r.body]))
      .filter((s: { id: string }) => s.id === okSubId || s.id === failSubId);
    assert.ok(items.length >= 6, `subscription views looked at: ${items.length}`);
    for (const item of items)
      assert.deepEqual(item.headers, { Authorization: `••••${headerCanaries[0].slice(-4)}`, 'X-Api-Key': `••••${headerCanaries[1].slice(-4)}` });
  });

  it('keeps every marker out of the API and worker logs', () => {
    const apiLog = api.output();
    const workerLog = worker.output();
    // The capture works: records of this very run are there.
    assert.ok(apiLog.includes(`subscription ${okSubId} created`), 'api log captured');
    assert.ok(workerLog.includes(deliveryWorkflowId(eventIds[1], failSubId)), 'worker log captured, with workflow ids');
    assert.deepEqual(found(apiLog, allCanaries()), [], 'api log');
    assert.deepEqual(found(workerLog, allCanaries()), [], 'worker log');
  });

  it('keeps every marker out of the API and worker metrics', async () => {
    const apiMetrics = await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } }).then((r) => r.text());
    const workerMetrics = await fetch(workerMetricsUrl).then((r) => r.text());
    assert.match(apiMetrics, /^herald_events_accepted_total 3$/m);
    assert.match(workerMetrics, /^herald_attempts_total\{status_class="5xx",trigger="manual"\} 1$/m);
    assert.deepEqual(found(apiMetrics + workerMetrics, allCanaries()), []);
  });

  it('keeps every marker out of the exported spans and OTLP metrics, which carry ids only', async () => {
    // The export works: every delivery's attempts are there, named by ids.
    const spans = await eventually(
      async () => {
        const s = collector.spans();
        return s.filter((x) => x.name === 'POST' && x.attributes['herald.subscription_id'] === failSubId).length >= 6 + 1 + 2 && s;
      },
      30_000,
      'the attempt spans of the failing subscription',
    );
    assert.ok(spans.some((s) => s.service === 'herald-api' && s.name === 'POST /v1/events'));
    assert.ok(spans.some((s) => s.service === 'herald-worker' && s.name === 'RunWorkflow:deliveryWorkflow'));
    assert.ok(spans.some((s) => s.name === 'POST' && s.attributes['herald.subscription_id'] === okSubId && s.attributes['herald.outcome'] === 'succeeded'));
    await eventually(
      async () => collector.metricPoints().some((p) => p.name === 'herald_attempts_total' && p.attributes.trigger === 'manual'),
      30_000,
      'OTLP metrics',
    );
    const exported = [...collector.raw('/v1/traces'), ...collector.raw('/v1/metrics')].join('\n');
    assert.deepEqual(found(exported, allCanaries()), []);
    // Only Herald's own attribute names on its spans (plus Temporal's and OpenTelemetry's conventions).
    const keys = new Set(spans.flatMap((s) => Object.keys(s.attributes)));
    const allowed =
      /^(herald\.(tenant_id|event_id|subscription_id|delivery_id|attempt|trigger|outcome)|http\.(request\.method|route|response\.status_code)|server\.(address|port)|error\.type|workflowId|runId|workflowType|taskQueue|namespace|attempt|run_id|temporalWorkflowId|temporalActivityId)$/;
    assert.deepEqual(
      [...keys].filter((k) => !allowed.test(k)),
      [],
      'span attribute names',
    );
  });

  it('stores secrets encrypted: no form of any secret anywhere in the database', async () => {
    const tables: Array<{ table_name: string }> = await db.dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    assert.ok(tables.some((t) => t.table_name === 'subscriptions'));
    for (const { table_name } of tables) {
      const rows: unknown[] = await db.dataSource.query(`SELECT * FROM "${table_name}"`);
      assert.deepEqual(found(JSON.stringify(rows), secretForms()), [], table_name);
    }
    const [row]: Array<{ secret_ciphertext: string; previous_secret_ciphertext: string }> = await db.dataSource.query(
      'SELECT secret_ciphertext, previous_secret_ciphertext FROM subscriptions WHERE id = $1',
      [failSubId],
    );
    assert.equal(testSecretBox().open(row.secret_ciphertext), rotatedSecret.secret);
    assert.equal(testSecretBox().open(row.previous_secret_ciphertext), failSecret.secret);
  });

  it("keeps what each attempt sent with header values and signatures masked, the body as its hash: no marker in any attempt's record", async () => {
    const attempts: Array<{ id: string; subscription_id: string; trigger: string; request: Record<string, any> | null }> = await db.dataSource.query(
      `SELECT id, subscription_id, trigger, request FROM attempts ORDER BY id`,
    );
    assert.ok(attempts.length >= 6 + 1 + 2 + 2, `attempts looked at: ${attempts.length}`);
    for (const a of attempts) {
      assert.ok(a.request, `${a.id} (${a.trigger}) keeps its request`);
      assert.deepEqual(found(JSON.stringify(a.request), allCanaries()), [], a.id);
      assert.equal(a.request.headers.Authorization, `••••${headerCanaries[0].slice(-4)}`);
      assert.equal(a.request.headers['X-Api-Key'], `••••${headerCanaries[1].slice(-4)}`);
      for (const signature of String(a.request.headers['webhook-signature']).split(' ')) assert.match(signature, /^v1,••••[A-Za-z0-9+/=]{4}$/);
      assert.match(a.request.headers['user-agent'], /^Herald\/\d+\.\d+\.\d+/);
      assert.match(a.request.bodySha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(a.request.signatureKeyIds, a.subscription_id === failSubId ? ['current', 'previous'] : ['current'], a.id);
    }
    // The hash is of the very bytes a receiver got: the rotated subscription's last request.
    const last = failing.requests.at(-1)!;
    const sent = attempts.filter((a) => a.subscription_id === failSubId && a.request!.headers['webhook-timestamp'] === last.headers['webhook-timestamp']);
    assert.ok(
      sent.some((a) => a.request!.bodySha256 === createHash('sha256').update(last.body).digest('hex') && a.request!.bodyBytes === Buffer.byteLength(last.body)),
      'an attempt row holds the hash and size of the body the receiver got',
    );
  });

  it('stores custom header values sealed: no planted header value anywhere in the database', async () => {
    const tables: Array<{ table_name: string }> = await db.dataSource.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    for (const { table_name } of tables) {
      const rows: unknown[] = await db.dataSource.query(`SELECT * FROM "${table_name}"`);
      assert.deepEqual(found(JSON.stringify(rows), headerCanaries), [], table_name);
    }
    for (const id of [okSubId, failSubId]) {
      const [row]: Array<{ headers: Record<string, string> }> = await db.dataSource.query('SELECT headers FROM subscriptions WHERE id = $1', [id]);
      assert.equal(testSecretBox().open(row.headers.Authorization), `Bearer ${headerCanaries[0]}`);
      assert.equal(testSecretBox().open(row.headers['X-Api-Key']), headerCanaries[1]);
    }
  });
});
