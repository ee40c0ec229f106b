/**
 * The SSRF guard at engine level: the worker's real HTTP sender, with nothing allowlisted (the
 * usual test configuration allows 127.0.0.1), against subscriptions pointing inside in every
 * spelling. The API refuses the literal forms at creation; rows that hold them anyway (written
 * before a policy change, or straight into the table) and names that resolve inside must still
 * be refused at send time. A real receiver on 127.0.0.1 behind every one of those URLs gets
 * nothing.
 */
import assert from 'node:assert/strict';
import { lookup as dnsLookup } from 'node:dns/promises';
import { after, before, describe, it } from 'node:test';
import { NativeConnection } from '@temporalio/worker';
import { createHeraldWorker, type HeraldWorker } from '../../apps/worker/src/worker';
import { Attempt, Delivery } from '../../libs/db/entities';
import { createHttpSender } from '../../libs/delivery/http-sender';
import { createTargetPolicy, type Resolver } from '../../libs/delivery/ssrf';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { assertError, createSubscription, imageCreated, postEvent } from '../support/admin-api';
import { deliveriesOf, waitForDelivery } from '../support/deliveries';
import { eventually, testSecretBox } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { reportSecurity } from '../support/load';
import { seedSubscription } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

/** Host as written in the URL → the reason the guard gives. */
const LITERALS: Array<[string, RegExp]> = [
  ['127.0.0.1', /loopback/],
  ['127.1', /loopback/],
  ['2130706433', /loopback/],
  ['0177.0.0.1', /loopback/],
  ['0x7f.0.0.1', /loopback/],
  ['[::1]', /loopback/],
  ['[::ffff:127.0.0.1]', /loopback \(IPv4-mapped\)/],
  ['10.0.0.1', /private network/],
  ['172.16.0.1', /private network/],
  ['192.168.1.1', /private network/],
  ['169.254.169.254', /cloud metadata/],
  ['100.64.0.1', /carrier-grade NAT/],
  ['[fd00::1]', /unique local/],
  ['[fe80::1]', /link-local/],
  ['0.0.0.0', /unspecified/],
];

/** Names that pass every check at creation (they are not IP addresses) and resolve inside. */
const NAMES: Record<string, { address: string; family: 4 | 6; reason: RegExp }> = {
  'loopback.ssrf.herald.test': { address: '127.0.0.1', family: 4, reason: /loopback/ },
  'loopback6.ssrf.herald.test': { address: '::1', family: 6, reason: /loopback/ },
  'mapped.ssrf.herald.test': { address: '::ffff:127.0.0.1', family: 6, reason: /loopback \(IPv4-mapped\)/ },
  'ten.ssrf.herald.test': { address: '10.1.2.3', family: 4, reason: /private network/ },
  'rfc1918-172.ssrf.herald.test': { address: '172.16.5.4', family: 4, reason: /private network/ },
  'rfc1918-192.ssrf.herald.test': { address: '192.168.0.10', family: 4, reason: /private network/ },
  'metadata.ssrf.herald.test': { address: '169.254.169.254', family: 4, reason: /cloud metadata/ },
  'cgnat.ssrf.herald.test': { address: '100.64.0.1', family: 4, reason: /carrier-grade NAT/ },
  'ula.ssrf.herald.test': { address: 'fd00::1', family: 6, reason: /unique local/ },
  'linklocal.ssrf.herald.test': { address: 'fe80::1', family: 6, reason: /link-local/ },
  'zero.ssrf.herald.test': { address: '0.0.0.0', family: 4, reason: /unspecified/ },
};
/** DNS rebinding: nothing resolves it when the subscription is created; at send time it answers 127.0.0.1. */
const REBINDING = 'rebind.ssrf.herald.test';
/** Exempt by name (HERALD_ALLOWED_TARGETS) and resolved to 127.0.0.1 by the same resolver: the control. */
const CONTROL = 'control.ssrf.herald.test';

describe('SSRF guard in the engine (nothing allowlisted)', () => {
  let stack: TestStack;
  let connection: NativeConnection;
  let worker: HeraldWorker;
  let running: Promise<void>;
  let spy: Receiver;
  /** Names the worker's resolver was asked for, in order. */
  const asked: string[] = [];

  // The resolver the worker's sender connects with. Names of this test are answered from the
  // table (they exist in no DNS), everything else by the system resolver (localhost: /etc/hosts).
  const resolve: Resolver = async (hostname) => {
    asked.push(hostname);
    if (hostname === REBINDING || hostname === CONTROL) return [{ address: '127.0.0.1', family: 4 }];
    const known = NAMES[hostname];
    if (known) return [{ address: known.address, family: known.family }];
    return dnsLookup(hostname, { all: true });
  };

  const url = (host: string, path = '/hook') => `http://${host}:${spy.port}${path}`;

  before(async () => {
    stack = await startStack({ HERALD_ALLOWED_TARGETS: CONTROL }, { worker: false });
    assert.deepEqual(stack.config.delivery.allowedTargets, [CONTROL], 'loopback is not allowlisted here');
    connection = await NativeConnection.connect({ address: stack.config.temporal.address });
    // The worker's own sender and policy, built from its configuration as in production; only the resolver is the test's.
    const { allowedTargets, allowHttp } = stack.config.delivery;
    const sender = createHttpSender({ policy: createTargetPolicy({ allowedTargets, allowHttp, resolve }), timeoutMs: 5_000 });
    worker = await createHeraldWorker({ config: stack.config, connection, dataSource: stack.db.dataSource, sender });
    running = worker.run();
    spy = await startReceiver({ kind: 'status', status: 200 });
  });
  after(async () => {
    await worker?.shutdown();
    await running;
    await connection?.close();
    await spy?.close();
    await stack?.stop();
  });

  it('refuses every literal internal address at creation and on edit (422, ssrf_blocked)', async () => {
    for (const [host, reason] of LITERALS) {
      const res = await stack.api('/v1/subscriptions', { method: 'POST', json: { url: url(host), eventTypes: ['image.created'] } });
      const error = assertError(res, 422, 'url_not_allowed');
      assert.equal(error.details.kind, 'ssrf_blocked', host);
      assert.match(error.message, reason, host);
    }
    const sub = await createSubscription(stack, { url: url('hooks.ssrf.herald.test') });
    assertError(await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'PATCH', json: { url: url('[::ffff:169.254.169.254]') } }), 422, 'url_not_allowed');
    assertError(
      await stack.api('/v1/subscriptions', { method: 'POST', json: { url: url('localhost'), eventTypes: ['image.created'] } }),
      422,
      'url_not_allowed',
    );
    assert.equal((await stack.api(`/v1/subscriptions/${sub.id}`, { method: 'DELETE' })).status, 204);
  });

  it('refuses at send time what got past creation: literal rows, names resolving inside, DNS rebinding; the receiver gets nothing', async () => {
    // Names pass the API: it does not resolve them (that would prove nothing about send time).
    const byName = new Map<string, RegExp>();
    for (const [name, { reason }] of Object.entries(NAMES)) byName.set((await createSubscription(stack, { url: url(name) })).id, reason);
    const rebinding = await createSubscription(stack, { url: url(REBINDING) });
    byName.set(rebinding.id, /rebind\.ssrf\.herald\.test \(127\.0\.0\.1\): loopback/);
    const control = await createSubscription(stack, { url: url(CONTROL, '/control') });
    assert.equal(asked.length, 0, `nothing was resolved at creation: ${asked.join(', ')}`);

    // The literal forms, and localhost, the API refuses: written straight into the table.
    const box = testSecretBox();
    const byLiteral = new Map<string, RegExp>();
    for (const [host, reason] of [...LITERALS, ['localhost', /localhost \((127\.0\.0\.1|::1)\): loopback/] as [string, RegExp]]) {
      byLiteral.set((await seedSubscription(stack.db.dataSource, box, { url: url(host) })).id, reason);
    }

    const eventId = await postEvent(stack, imageCreated());
    const expected = new Map([...byName, ...byLiteral]);
    const deliveries = await deliveriesOf(stack.db.dataSource, eventId, expected.size + 1);
    try {
      const attempts = await eventually(
        async () => {
          const rows = await stack.db.dataSource.getRepository(Attempt).findBy({ number: 1, trigger: 'scheduled' });
          return rows.length === expected.size + 1 && rows;
        },
        30_000,
        'the first attempt of every delivery',
      );

      for (const [subscriptionId, reason] of expected) {
        const a = attempts.find((x) => x.subscriptionId === subscriptionId);
        assert.ok(a, `an attempt for ${subscriptionId}`);
        assert.equal(a.ok, false, a.url);
        assert.equal(a.errorKind, 'ssrf_blocked', `${a.url}: ${a.errorKind} ${a.errorMessage}`);
        assert.equal(a.statusCode, null, a.url);
        assert.match(a.errorMessage ?? '', reason, a.url);
        assert.match(a.errorMessage ?? '', /not a public address|refused to connect/, a.url);
      }
      const rows = await stack.db.dataSource.getRepository(Delivery).findBy({ eventId });
      for (const d of rows.filter((x) => x.subscriptionId !== control.id)) assert.match(d.lastError ?? '', /refused to connect|not a public address/, d.id);

      // Both immediate attempts are recorded and each refused delivery waits on its timer.
      for (const d of deliveries.filter((x) => x.subscriptionId !== control.id)) await waitForDelivery(stack.db.dataSource, d.id, 'retrying', { attempts: 2 });

      // The control, resolved by the same resolver to the same receiver, arrived: the guarded
      // lookup is the one the socket connects with, so what it refuses is what would be reached.
      const controlAttempt = attempts.find((x) => x.subscriptionId === control.id);
      assert.equal(controlAttempt?.ok, true, controlAttempt?.errorMessage ?? 'control attempt');
      assert.deepEqual(
        spy.requests.map((r) => r.path),
        ['/control'],
        'only the control reached the receiver',
      );
      assert.ok(asked.includes(REBINDING) && asked.includes(CONTROL) && asked.includes('localhost'), `resolved at send time: ${asked.join(', ')}`);
      assert.ok(!asked.some((h) => /^[\d.]+$|:/.test(h)), 'a literal address is refused before any lookup');
      reportSecurity({
        check: 'SSRF at send time',
        cases: expected.size,
        refused: attempts.filter((a) => a.errorKind === 'ssrf_blocked').length,
        through: spy.requests.filter((r) => r.path !== '/control').length,
        notes: `${byLiteral.size} literal forms (loopback, private, link-local, CGNAT, ULA, IPv4-mapped, decimal/octal/hex, localhost), ${byName.size} names resolving inside incl. DNS rebinding: refused on the address the socket would use; the literals also 422 at creation`,
      });
    } finally {
      // Each refused delivery now waits a minute for its next attempt: stop them.
      await Promise.all(
        deliveries.map((d) =>
          stack.client.workflow
            .getHandle(deliveryWorkflowId(eventId, d.subscriptionId))
            .terminate('test over')
            .catch(() => undefined),
        ),
      );
    }
  });

  it('refuses in the API test send too, with the system resolver', async () => {
    const sub = await seedSubscription(stack.db.dataSource, testSecretBox(), { url: url('localhost') });
    const before = spy.requests.length;
    const res = await stack.api(`/v1/subscriptions/${sub.id}/test`, { method: 'POST' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.errorKind, 'ssrf_blocked');
    assert.match(res.body.error, /localhost \((127\.0\.0\.1|::1)\): loopback/);
    const literal = await seedSubscription(stack.db.dataSource, testSecretBox(), { url: url('0x7f.0.0.1') });
    const refused = await stack.api(`/v1/subscriptions/${literal.id}/test`, { method: 'POST' });
    assert.equal(refused.body.errorKind, 'ssrf_blocked');
    assert.equal(spy.requests.length, before);
  });
});
