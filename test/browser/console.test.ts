/**
 * The console (apps/console, served by the API at /console), driven by Playwright in Debian's
 * Chromium against the real stack (API + worker + Temporal + Postgres) and real receivers: an
 * operator signs in, creates a webhook, tests it, watches deliveries, toggles and deletes it,
 * sees a failing one retry and retries its dead letter; markup from the API renders as text;
 * every page passes axe-core; the CSP holds. A tenant's portal-session link shows that tenant only. Screenshots of each page go to docs/console/.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PortalTokens } from '../../apps/api/src/common/portal-token';
import { PORTAL_TOKENS } from '../../apps/api/src/infrastructure/tokens';
import { Attempt, Delivery } from '../../libs/db/entities';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { HERALD_VERSION } from '../../libs/version';
import { retryNowSignal } from '../../workflows/delivery.workflow';
import { createSubscription, imageCreated, postEvent, type CreatedSubscription } from '../support/admin-api';
import { TEST_ADMIN_TOKEN, TEST_INGEST_TOKEN } from '../support/config';
import { deliveriesOf, exhaustDelivery, waitForDelivery } from '../support/deliveries';
import { eventually, testSecretBox } from '../support/engine';
import { assertArrivedInOrder, startOrderedReceiver } from '../support/ordered';
import { startReceiver, type Receiver } from '../support/receivers';
import { seedEvent } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

const ROOT = join(__dirname, '..', '..', '..');
const SCREENSHOTS = join(ROOT, 'docs', 'console');
const BUILT = join(ROOT, 'dist', 'console');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const DESCRIPTION = 'Production image pipeline';
const ORDERED_DESCRIPTION = 'Video pipeline, in order';
/** Markup that would run if the console ever rendered API values as HTML. */
const XSS_DESCRIPTION = 'Images <img src=x onerror="window.__xss=1"> <b>bold</b>';
const XSS_TEXT = '<script>window.__xss=2</script><img src=y onerror="window.__xss=3">';

describe('the console: an operator manages webhooks and follows deliveries in the browser', { timeout: 240_000 }, () => {
  let stack: TestStack;
  let ok: Receiver;
  let failing: Receiver;
  let browser: Browser;
  let page: Page;
  let base: string;
  let hook: CreatedSubscription;
  let firstSecret: string;
  let firstDeliveryId: string;
  let retryingDeliveryId: string;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  /** A fresh load of the console at `hash` (not a same-document hash change). */
  const go = async (hash: string): Promise<void> => {
    await page.goto('about:blank');
    await page.goto(`${base}/console/${hash}`);
  };
  /** axe-core in the page (through the debugger protocol, which the CSP does not govern). */
  const axe = async (where: string): Promise<void> => {
    await page.evaluate(AXE);
    // Page code as strings: this file compiles without the DOM library.
    const violations: any[] = await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) =>
      r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 3) })))`);
    const serious = violations.filter((v: any) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(serious, [], `${where}: ${JSON.stringify(serious, null, 2)}`);
  };
  const webhookCard = (description: string) => page.locator('li.webhook', { hasText: description });

  before(async () => {
    assert.ok(existsSync(join(BUILT, 'index.html')), 'the console is built (scripts/bootstrap.sh builds apps/console into dist/console)');
    mkdirSync(SCREENSHOTS, { recursive: true });
    stack = await startStack();
    base = stack.baseUrl;
    ok = await startReceiver({ kind: 'status', status: 200, body: 'thanks <b>from</b> the receiver' });
    failing = await startReceiver({ kind: 'status', status: 503, body: 'down for maintenance' });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });
  after(async () => {
    await browser?.close();
    await ok?.close();
    await failing?.close();
    await stack?.stop();
  });

  it('serves the console at /console with a strict CSP, nosniff and clickjacking protection', async () => {
    const res = await fetch(`${base}/console/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) {
      assert.ok(csp.includes(directive), `CSP has ${directive}: ${csp}`);
    }
    assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval'), csp);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
    // The redirect from /console keeps the headers too.
    const bare = await fetch(`${base}/console`, { redirect: 'manual' });
    assert.equal(bare.headers.get('x-frame-options'), 'DENY');
  });

  it('ships under 250 KiB of compressed JavaScript', () => {
    const js = readdirSync(join(BUILT, 'assets')).filter((f) => f.endsWith('.js'));
    const gz = js.reduce((sum, f) => sum + gzipSync(readFileSync(join(BUILT, 'assets', f))).length, 0);
    process.stderr.write(`console JavaScript: ${js.length} file(s), ${(gz / 1024).toFixed(1)} KiB gzipped\n`);
    assert.ok(gz < 250 * 1024, `${gz} bytes gzipped`);
  });

  it('GET /v1/whoami tells the admin token from the ingest token', async () => {
    assert.deepEqual((await stack.api('/v1/whoami')).body, { kind: 'admin', tenantId: null, expiresAt: null });
    assert.deepEqual((await stack.api('/v1/whoami', { headers: { authorization: `Bearer ${TEST_INGEST_TOKEN}` } })).body, {
      kind: 'ingest',
      tenantId: null,
      expiresAt: null,
    });
  });

  it('an operator signs in with the admin token, kept in sessionStorage only', async () => {
    await go('');
    await page.getByRole('heading', { name: 'Herald console' }).waitFor();
    await axe('sign-in');
    await shot('01-sign-in');
    await page.getByLabel('Admin token').fill(TEST_ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
    await page.getByText('No webhooks yet.').waitFor();
    assert.equal(await page.evaluate('sessionStorage.getItem("herald.console.token")'), TEST_ADMIN_TOKEN);
    assert.equal(await page.evaluate('localStorage.length'), 0);
    assert.deepEqual(await page.context().cookies(), []);
    assert.ok(!page.url().includes(TEST_ADMIN_TOKEN));
    // An operator always gets the tenant picker: "All tenants" (the default) and every tenant,
    // here only the built-in `default`.
    const picker = page.getByLabel('Tenant');
    assert.equal(await picker.inputValue(), '', 'all tenants to begin with');
    assert.deepEqual(await picker.locator('option').allInnerTexts(), ['All tenants', 'Default (default)']);
  });

  it('creates a webhook to a real receiver and shows its secret once, with a copy button', async () => {
    await page.getByRole('link', { name: 'Create webhook' }).click();
    await page.getByRole('heading', { name: 'Create webhook' }).waitFor();
    await page.getByLabel('Description').fill(DESCRIPTION);
    await page.getByLabel('Endpoint URL').fill(ok.url);
    assert.ok(await page.getByRole('checkbox', { name: 'image.created' }).isChecked(), 'the catalog type is picked by default');
    await page.getByRole('button', { name: 'Add header' }).click();
    await page.getByLabel('Header 1 name').fill('x-customer-id');
    await page.getByLabel('Header 1 value').fill('acme');
    await page.getByLabel('User-defined values (JSON object)').fill('{"environment": "staging"}');
    await page.getByLabel('Envelope').check();
    await axe('create webhook');
    await shot('03-create-webhook');
    await page.getByRole('button', { name: 'Create webhook' }).click();
    await page.getByRole('heading', { name: 'Webhook created' }).waitFor();
    const secret = await page.getByLabel('Signing secret').inputValue();
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]{40,}$/);
    firstSecret = secret;
    await page.getByRole('button', { name: 'Copy secret' }).waitFor();
    await axe('secret shown');
    await page.getByRole('link', { name: 'Done: go to the webhooks' }).click();
    await webhookCard(DESCRIPTION).waitFor();
    const { body } = await stack.api('/v1/subscriptions');
    hook = body.data[0];
    assert.equal(hook.description, DESCRIPTION);
    assert.deepEqual(hook.headers, { 'x-customer-id': '••••' }, 'a header value is shown masked (4 characters or fewer: wholly)');
    assert.deepEqual(hook.userDefined, { environment: 'staging' });
    assert.equal(hook.payloadFormat, 'envelope');
  });

  it('renders a description holding markup as text', async () => {
    // Disabled: it takes no part in the deliveries below.
    const marked = await createSubscription(stack, { url: ok.url, description: XSS_DESCRIPTION, enabled: false });
    await go('#/webhooks');
    const card = webhookCard('Images <img');
    await card.waitFor();
    assert.equal(await card.getByRole('heading').innerText(), XSS_DESCRIPTION);
    assert.equal(await card.locator('img, b').count(), 0);
    await go(`#/webhooks/${marked.id}`);
    assert.equal(await page.getByLabel('Description').inputValue(), XSS_DESCRIPTION);
    assert.equal(await page.evaluate('window.__xss'), undefined);
    assert.equal((await stack.api(`/v1/subscriptions/${marked.id}`, { method: 'DELETE' })).status, 204);
  });

  it('shows why Herald disabled a webhook, on its card and its page', async () => {
    const gone = await startReceiver({ kind: 'status', status: 410 });
    try {
      // A tenant of its own: the event reaches no other webhook of this file.
      const tenantId = `console_gone_${Date.now()}`;
      const hook = await createSubscription(stack, { url: gone.url, description: 'Gone endpoint', tenantId });
      await postEvent(stack, imageCreated({ tenantId }));
      const reason = await eventually(
        async () => (await stack.api(`/v1/subscriptions/${hook.id}`)).body.disabledReason as string | null,
        20_000,
        'disabled on 410',
      );
      assert.match(reason, /^gone: /);
      await go('#/webhooks');
      await webhookCard('Gone endpoint').locator('.disabled-reason').getByText(reason).waitFor();
      await go(`#/webhooks/${hook.id}`);
      await page.locator('.disabled-reason').getByText(reason).waitFor();
      // The tenant goes with its webhook: the tenant tests below count the tenants.
      assert.equal((await stack.api(`/v1/tenants/${tenantId}`, { method: 'DELETE' })).status, 204);
    } finally {
      await gone.close();
    }
  });

  it('sends a test from the list and shows the 2xx attempt inline', async () => {
    await go('#/webhooks');
    await page.getByRole('button', { name: `Send test: ${DESCRIPTION}` }).click();
    const result = webhookCard(DESCRIPTION).locator('.test-result');
    await result.getByText('HTTP 200').waitFor();
    assert.match(await result.innerText(), /thanks <b>from<\/b> the receiver/);
    const [req] = await ok.waitForRequests(1);
    assert.equal(req.headers['x-customer-id'], 'acme');
    assert.equal(JSON.parse(req.body).user_defined.environment, 'staging');
  });

  it('shows the webhook list in under a second, with its last delivery and 24 h success rate', async () => {
    const started = Date.now();
    await go('#/webhooks');
    await webhookCard(DESCRIPTION).waitFor();
    const elapsed = Date.now() - started;
    process.stderr.write(`webhook list first render: ${elapsed} ms\n`);
    assert.ok(elapsed < 1_000, `${elapsed} ms`);
    await webhookCard(DESCRIPTION).getByText('none yet').waitFor();
  });

  it('posts an event through the API and shows its delivery with the attempts and the payload as text', async () => {
    const data = imageCreated().data as Record<string, any>;
    data.modifications[1].text = XSS_TEXT;
    const eventId = await postEvent(stack, { type: 'image.created', data });
    const [delivery] = await deliveriesOf(stack.db.dataSource, eventId);
    firstDeliveryId = delivery.id;
    await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded');
    await go(`#/deliveries?subscriptionId=${hook.id}`);
    const row = page.locator(`tr[data-id="${delivery.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /succeeded/);
    await axe('deliveries');
    await shot('05-deliveries');
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: `Delivery ${delivery.id}` }).waitFor();
    const attempts = page.getByRole('table', { name: 'Attempts' });
    await attempts.getByText('HTTP 200').waitFor();
    assert.match(await attempts.innerText(), /scheduled/);
    const payload = await page.getByLabel('Payload as sent').innerText();
    assert.ok(payload.includes(JSON.stringify(XSS_TEXT).slice(1, -1)), payload);
    assert.ok(payload.includes('"user_defined"'));
    const headers = await page.getByRole('table', { name: 'Request headers' }).innerText();
    assert.match(headers, /webhook-id\s+dlv_/);
    assert.match(headers, /x-customer-id\s+••••/, 'custom header values masked');
    assert.doesNotMatch(headers, /v1,[A-Za-z0-9+/]{20,}/, 'no signature shown');
    assert.ok(await page.getByRole('link', { name: 'Open in the Temporal UI' }).isVisible(), 'operators get the Temporal UI link');
    // What attempt 1 sent, as its record keeps it: not rebuilt from today's settings.
    const received = ok.requests.find((r) => r.headers['webhook-id'] === delivery.id)!;
    assert.equal(await page.locator('[data-figure="body-sha256"]').innerText(), createHash('sha256').update(received.body).digest('hex'));
    assert.equal(await page.locator('[data-figure="body-bytes"]').innerText(), `${Buffer.byteLength(received.body)} bytes`);
    assert.equal(await page.locator('[data-figure="signed-with"]').innerText(), 'the current secret');
    assert.match(headers, new RegExp(`user-agent\\s+Herald/${HERALD_VERSION.replace(/\./g, '\\.')}`), 'the User-Agent literally');
    assert.match(headers, new RegExp(`webhook-timestamp\\s+${received.headers['webhook-timestamp']}`));
    assert.match(headers, /webhook-signature\s+v1,••••/, 'the signature masked');
    assert.equal(await page.evaluate('window.__xss'), undefined);
    await axe('delivery');
    await shot('06-delivery');
  });

  it("shows the webhook's attempt duration and 202 → first success percentiles, outcomes and a chart over time", async () => {
    await go(`#/webhooks/${hook.id}`);
    const card = page.locator('section.stats');
    await card.getByRole('heading', { name: 'Latency and outcomes' }).waitFor();
    await card.locator('[data-figure="attempt-duration"]').waitFor();
    const day = (await stack.api(`/v1/subscriptions/${hook.id}/stats`)).body;
    const ms = (v: number | null) => (v === null ? '—' : v < 10_000 ? `${v} ms` : `${(v / 1000).toFixed(1)} s`);
    const { attemptDurationMs: d, firstSuccessMs: f } = day.latency;
    assert.equal(await card.locator('[data-figure="attempt-duration"]').innerText(), `p50 ${ms(d.p50)} · p95 ${ms(d.p95)} · p99 ${ms(d.p99)}`);
    assert.equal(await card.locator('[data-figure="first-success"]').innerText(), `p50 ${ms(f.p50)} · p95 ${ms(f.p95)} · p99 ${ms(f.p99)}`);
    assert.ok(day.latency.attempts >= 2 && day.latency.firstSuccesses >= 1, JSON.stringify(day.latency));
    assert.match(await card.locator('[data-figure="success-rate"]').innerText(), /^100\.0 %/);
    assert.match(
      await card.locator('[data-figure="outcomes"]').innerText(),
      new RegExp(`^${day.latency.attempts} \\(2xx: ${day.latency.attemptsByOutcome.succeeded}\\)`),
    );
    // uPlot drew the window: one canvas, the bucket count in the caption, the label summing up what it shows.
    await card.locator('.chart-box canvas').waitFor(); // uPlot is loaded with the first chart
    assert.equal(await card.locator('.chart-box canvas').count(), 1);
    assert.ok((await card.locator('.chart-box canvas').boundingBox())!.width > 200, 'a canvas of the card’s width');
    assert.match(await card.locator('figcaption').innerText(), new RegExp(`^${day.latency.series.length} buckets of 1 hour;`));
    assert.match(
      (await card.locator('.chart-box').getAttribute('aria-label'))!,
      new RegExp(`^Chart of ${day.latency.attempts} attempts in ${day.latency.series.length} buckets of 1 hour:`),
    );
    await axe('webhook latency');
    await card.screenshot({ path: join(SCREENSHOTS, '15-webhook-latency.png') });
    // A wider window: the API picks 6-hour buckets, and the chart is drawn again.
    await card.getByLabel('Window').selectOption({ label: 'Last 7 days' });
    await card.locator('figcaption', { hasText: 'buckets of 6 hours' }).waitFor();
    await card.locator('.chart-box canvas').waitFor();
    assert.equal(await card.locator('.chart-box canvas').count(), 1, 'the old chart was destroyed');
  });

  it('toggles the webhook off from the keyboard, and the next event makes no request', async () => {
    await go('#/webhooks');
    await webhookCard(DESCRIPTION).getByText('succeeded').waitFor();
    assert.match(await webhookCard(DESCRIPTION).innerText(), /Success, 24 h\s+100 %/, "the API's successRate24h");
    await axe('webhooks');
    await shot('02-webhooks');
    const toggle = page.getByRole('switch', { name: `Enabled: ${DESCRIPTION}` });
    await toggle.focus();
    await page.keyboard.press('Space');
    await eventually(async () => (await stack.api(`/v1/subscriptions/${hook.id}`)).body.enabled === false, 5_000, 'the webhook disabled');
    assert.equal(await toggle.isChecked(), false);
    await webhookCard(DESCRIPTION).getByText('Disabled').waitFor();
    const before = ok.requests.length;
    const eventId = await postEvent(stack, imageCreated());
    // The event workflow runs and matches no enabled subscription: no delivery, no request.
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(ok.requests.length, before);
    assert.deepEqual((await stack.api(`/v1/deliveries?eventId=${eventId}`)).body.data, []);
  });

  it('shows a failing delivery as retrying, with the next attempt time', async () => {
    const down = await createSubscription(stack, { url: failing.url, description: 'Failing endpoint' });
    const eventId = await postEvent(stack, imageCreated());
    const [delivery] = await deliveriesOf(stack.db.dataSource, eventId);
    retryingDeliveryId = delivery.id;
    assert.equal(delivery.subscriptionId, down.id);
    const row = await waitForDelivery(stack.db.dataSource, delivery.id, 'retrying', { attempts: 2 });
    await go(`#/deliveries/${delivery.id}`);
    await page.getByRole('heading', { name: `Delivery ${delivery.id}` }).waitFor();
    await page.locator('.status-retrying').first().waitFor();
    const next = page.locator('.next-attempt time');
    await next.waitFor();
    const shown = new Date((await next.getAttribute('datetime'))!).getTime();
    assert.ok(
      Math.abs(shown - row.nextAttemptAt!.getTime()) < 2_000,
      `next attempt shown ${new Date(shown).toISOString()}, stored ${row.nextAttemptAt!.toISOString()}`,
    );
    assert.match(await page.locator('.next-attempt').innerText(), /in \d+ (s|min)/);
    const attempts = await page.getByRole('table', { name: 'Attempts' }).innerText();
    assert.match(attempts, /HTTP 503/);
    assert.match(attempts, /down for maintenance/);
    await shot('07-delivery-retrying');
    // The log's filters: only the retrying delivery, not the succeeded one.
    await go('#/deliveries');
    await page.getByLabel('Status').selectOption('retrying');
    await page.getByLabel('Event type').selectOption('image.created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/status=retrying/);
    await page.locator(`tr[data-id="${delivery.id}"]`).waitFor();
    assert.equal(await page.locator(`tr[data-id="${firstDeliveryId}"]`).count(), 0);
    assert.equal(await page.locator('tbody tr').count(), 1);
  });

  it('retries a dead letter from the console, and the manual attempt shows', async () => {
    await exhaustDelivery(stack.db.dataSource, stack.deliveries, retryingDeliveryId);
    failing.setBehaviour({ kind: 'status', status: 200, body: 'back up' });
    await go('#/dead-letters');
    const [letter] = (await stack.api('/v1/dead-letters')).body.data;
    assert.equal(letter.deliveryId, retryingDeliveryId);
    const card = page.locator(`li[data-id="${letter.id}"]`);
    await card.waitFor();
    assert.match(await card.innerText(), /HTTP 503/);
    await axe('dead letters');
    await shot('08-dead-letters');
    await card.getByRole('button', { name: `Retry ${letter.id}` }).click();
    await page.getByRole('heading', { name: `Delivery ${retryingDeliveryId}` }).waitFor();
    // The page follows the delivery until the manual attempt is in.
    const manual = page.locator('tr[data-trigger="manual"]');
    await manual.getByText('HTTP 200').waitFor({ timeout: 20_000 });
    await page.locator('.status-succeeded').first().waitFor();
    const attempts = await stack.db.dataSource.getRepository(Attempt).find({ where: { deliveryId: retryingDeliveryId, trigger: 'manual' } });
    assert.equal(attempts.length, 1);
    await shot('09-dead-letter-retried');
  });

  it('retries many dead letters by webhook and time range, and discards one', async () => {
    failing.setBehaviour({ kind: 'status', status: 503, body: 'down again' });
    const ds = stack.db.dataSource;
    const events = [await postEvent(stack, imageCreated()), await postEvent(stack, imageCreated())];
    const ids = (await Promise.all(events.map((e) => deliveriesOf(ds, e)))).map(([d]) => d.id);
    await Promise.all(ids.map((id) => exhaustDelivery(ds, stack.deliveries, id)));
    await go('#/dead-letters');
    for (const id of ids)
      await page
        .locator('li', { hasText: 'Failing endpoint' })
        .filter({ has: page.locator(`a[href="#/deliveries/${id}"]`) })
        .waitFor();
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Retry many' }) });
    await form.getByLabel('Webhook').selectOption({ label: 'Failing endpoint' });
    const pad = (n: number): string => String(n).padStart(2, '0');
    const local = (d: Date): string => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    await form.getByLabel('Dead-lettered from').fill(local(new Date(Date.now() - 10 * 60_000)));
    await form.getByLabel('Dead-lettered until').fill(local(new Date(Date.now() + 10 * 60_000)));
    await form.getByRole('button', { name: 'Retry matching dead letters' }).click();
    await page.getByText('2 dead letters retried.').waitFor();
    // The endpoint is still down: each got one manual attempt, failed, and stays a dead letter.
    for (const id of ids) await waitForDelivery(ds, id, 'dead_lettered', { attempts: 7 });
    assert.equal(await ds.getRepository(Attempt).count({ where: ids.map((deliveryId) => ({ deliveryId, trigger: 'manual' as const })) }), 2);
    const letters = (await stack.api(`/v1/dead-letters?subscriptionId=${(await stack.api(`/v1/deliveries/${ids[0]}`)).body.subscriptionId}`)).body.data;
    assert.equal(letters.length, 2);
    await go('#/dead-letters');
    await page.getByRole('button', { name: `Discard ${letters[0].id}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Discard this dead letter?' });
    assert.match(await dialog.innerText(), /The delivery and its attempts stay in the log/);
    await dialog.getByRole('button', { name: 'Discard' }).click();
    await page.locator(`li[data-id="${letters[0].id}"]`).waitFor({ state: 'detached' });
    await page.locator(`li[data-id="${letters[1].id}"]`).waitFor();
    assert.equal((await stack.api(`/v1/dead-letters/${letters[0].id}`)).status, 404);
    assert.equal((await stack.api(`/v1/deliveries/${letters[0].deliveryId}`)).status, 200);
  });

  it('edits the webhook and rotates its secret, showing the new one once', async () => {
    await go(`#/webhooks/${hook.id}`);
    await page.getByRole('heading', { name: 'Edit webhook' }).waitFor();
    // A saved header's value cannot be read back: the field is empty, the mask its placeholder.
    assert.equal(await page.getByLabel('Header 1 value').inputValue(), '');
    assert.equal(await page.getByLabel('Header 1 value').getAttribute('placeholder'), '•••• (saved)');
    await page.getByLabel('Template scope').fill('tpl_product_highlight, tpl_banner');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    assert.deepEqual((await stack.api(`/v1/subscriptions/${hook.id}`)).body.templateIds, ['tpl_product_highlight', 'tpl_banner']);
    // Saving other fields left the header's sealed value as it was.
    const [row]: Array<{ headers: Record<string, string> }> = await stack.db.dataSource.query('SELECT headers FROM subscriptions WHERE id = $1', [hook.id]);
    assert.equal(testSecretBox().open(row.headers['x-customer-id']), 'acme');
    await axe('edit webhook');
    await shot('04-edit-webhook');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByRole('heading', { name: 'Secret rotated' }).waitFor();
    const rotated = await page.getByLabel('Signing secret').inputValue();
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, firstSecret);
    await page.getByRole('link', { name: 'Done' }).click();
    await page.getByRole('heading', { name: 'Edit webhook' }).waitFor();
    assert.equal(await page.getByRole('textbox', { name: 'Signing secret' }).count(), 0, 'the secret is not shown again');
    await page.getByText('The previous secret signs until').waitFor();
  });

  it('pauses and resumes the webhook from its page, and sets and clears its rate limit', async () => {
    await go(`#/webhooks/${hook.id}`);
    await page.getByRole('heading', { name: 'Edit webhook' }).waitFor();
    await page.getByRole('button', { name: 'Pause sending' }).click();
    await page.getByRole('button', { name: 'Resume sending' }).waitFor();
    await page.getByRole('status').filter({ hasText: 'Paused since' }).waitFor();
    assert.equal((await stack.api(`/v1/subscriptions/${hook.id}`)).body.paused, true);
    await go('#/webhooks');
    await webhookCard(DESCRIPTION).getByText('Paused', { exact: true }).waitFor();
    await go(`#/webhooks/${hook.id}`);
    await page.getByRole('button', { name: 'Resume sending' }).click();
    await page.getByRole('button', { name: 'Pause sending' }).waitFor();
    assert.equal((await stack.api(`/v1/subscriptions/${hook.id}`)).body.paused, false);

    const rate = page.getByLabel('Rate limit (requests per second)');
    await rate.fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('alert').filter({ hasText: 'The rate limit must be a whole number' }).waitFor();
    assert.equal((await stack.api(`/v1/subscriptions/${hook.id}`)).body.rateLimitPerSecond, null);
    await rate.fill('25');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    assert.equal((await stack.api(`/v1/subscriptions/${hook.id}`)).body.rateLimitPerSecond, 25);
    await rate.fill('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.').waitFor();
    await eventually(async () => (await stack.api(`/v1/subscriptions/${hook.id}`)).body.rateLimitPerSecond === null, 5_000, 'the limit cleared');
  });

  it('deletes the webhook after a confirmation that says its logs go too; it leaves the list and the log', async () => {
    await go('#/webhooks');
    await page.getByRole('button', { name: `Delete: ${DESCRIPTION}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this webhook?' });
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /delivery log, attempts and dead letters are deleted with it/);
    await axe('delete confirmation');
    await dialog.getByRole('button', { name: 'Delete webhook and its logs' }).click();
    await webhookCard(DESCRIPTION).waitFor({ state: 'detached' });
    await webhookCard('Failing endpoint').waitFor();
    assert.equal((await stack.api(`/v1/subscriptions/${hook.id}`)).status, 404);
    await go('#/deliveries');
    await page.locator(`tr[data-id="${retryingDeliveryId}"]`).waitFor();
    assert.equal(await page.locator(`tr[data-id="${firstDeliveryId}"]`).count(), 0);
  });

  it('pages through the delivery log with its cursor, forwards and back', async () => {
    failing.setBehaviour({ kind: 'status', status: 200 });
    for (let i = 0; i < 26; i++) await postEvent(stack, imageCreated());
    await eventually(async () => (await stack.api('/v1/deliveries?limit=100')).body.data.length >= 29, 20_000, '29 deliveries');
    await go('#/deliveries');
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 25);
    const first = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    await page.getByRole('link', { name: 'Next page' }).click();
    await page.waitForURL(/cursor=/);
    await page.getByRole('button', { name: 'Previous page' }).waitFor();
    // The page re-renders when the next page's rows arrive: wait for them, not only for the button.
    await page.locator(`tbody tr[data-id="${first[0]}"]`).waitFor({ state: 'detached' });
    await page.locator('tbody tr').first().waitFor();
    const second = await page.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
    assert.ok(second.length >= 4, `${second.length} on page 2`);
    assert.ok(
      second.every((id) => !first.includes(id)),
      'page 2 continues where page 1 ended',
    );
    assert.ok(second[0]! < first[first.length - 1]!, 'newest first: page 2 is older');
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.waitForURL((u) => !u.hash.includes('cursor='));
    await page.locator(`tr[data-id="${first[0]}"]`).waitFor();
  });

  it('shows the event catalog with its schema and an example, and the signature help', async () => {
    await go('#/event-types');
    await page.getByRole('heading', { name: 'image.created' }).waitFor();
    for (const name of ['herald.subscription.disabled', 'herald.subscription.failing', 'herald.subscription.recovered', 'herald.delivery.dead_lettered']) {
      await page.getByRole('heading', { name }).waitFor();
    }
    await page.getByRole('article', { name: 'image.created' }).getByText('JSON Schema').click();
    await page.getByLabel('JSON Schema of image.created').waitFor();
    assert.match(await page.getByLabel('JSON Schema of image.created').innerText(), /"image_url_jpg"/);
    await page.getByLabel('Example of image.created').waitFor();
    await axe('event catalog');
    await shot('10-event-catalog');
    await go('#/signatures');
    await page.getByRole('heading', { name: 'Verifying signatures' }).waitFor();
    assert.match(await page.getByLabel('Python verification example').innerText(), /hmac\.compare_digest/);
    assert.match(await page.getByLabel('Node.js verification example').innerText(), /standardwebhooks/);
    await axe('signatures');
    await shot('11-signatures');
  });

  it('fits a narrow screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    for (const hash of ['#/webhooks', `#/deliveries/${retryingDeliveryId}`, '#/deliveries', '#/dead-letters']) {
      await go(hash);
      await page.locator('main h1').first().waitFor();
      await page.waitForTimeout(500); // lists and figures load after the first render
      const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
      assert.ok(overflow <= 1, `${hash}: ${overflow} px wider than the screen`);
      await axe(`narrow ${hash}`);
    }
    await go('#/webhooks');
    await webhookCard('Failing endpoint').waitFor();
    await shot('12-narrow-webhooks');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('creates a fifo webhook through the form, marks its blocked streams, and shows a waiting delivery its place and head', async () => {
    // Each stream's head fails until the end of this test: it is retried, and the deliveries behind it wait.
    let headsFail = true;
    const rx = await startOrderedReceiver({ fail: (r) => headsFail && r.sequence === 1, failStatus: () => 503 });
    const tpl = `tpl_ordered_${Date.now()}`;
    try {
      await go('#/webhooks');
      await page.getByRole('link', { name: 'Create webhook' }).click();
      await page.getByRole('heading', { name: 'Create webhook' }).waitFor();
      await page.getByLabel('Description').fill(ORDERED_DESCRIPTION);
      await page.getByLabel('Endpoint URL').fill(rx.url);
      await page.getByLabel('Template scope').fill(tpl);
      assert.equal(await page.getByLabel('Ordering').inputValue(), 'none', 'unordered by default');
      await page.getByLabel('Ordering').selectOption('fifo');
      await axe('create fifo webhook');
      await page.getByLabel('Ordering').scrollIntoViewIfNeeded();
      await page.screenshot({ path: join(SCREENSHOTS, '16-create-fifo-webhook.png') });
      await page.getByRole('button', { name: 'Create webhook' }).click();
      await page.getByRole('heading', { name: 'Webhook created' }).waitFor();
      await page.getByRole('link', { name: 'Done: go to the webhooks' }).click();
      const card = webhookCard(ORDERED_DESCRIPTION);
      await card.waitFor();
      const { body } = await stack.api('/v1/subscriptions?limit=100');
      const sub = body.data.find((s: { description: string }) => s.description === ORDERED_DESCRIPTION);
      assert.equal(sub.ordering, 'fifo', 'the form created a fifo subscription');
      assert.deepEqual(sub.templateIds, [tpl]);

      // Two streams: vid_42 with three events, batch_8123 with two; each head fails and is retried.
      const events: Record<string, string[]> = { vid_42: [], batch_8123: [] };
      for (const key of ['vid_42', 'vid_42', 'batch_8123', 'vid_42', 'batch_8123']) {
        events[key].push(await postEvent(stack, imageCreated({ templateId: tpl, orderingKey: key })));
      }
      const inStream = async (key: string) => {
        const rows = await stack.db.dataSource
          .getRepository(Delivery)
          .find({ where: { subscriptionId: sub.id, orderingKey: key }, order: { sequence: 'ASC' } });
        return rows.length === events[key].length && rows;
      };
      const video = await eventually(() => inStream('vid_42'), 20_000, 'the vid_42 deliveries');
      const batch = await eventually(() => inStream('batch_8123'), 20_000, 'the batch_8123 deliveries');
      await waitForDelivery(stack.db.dataSource, video[0].id, 'retrying', { attempts: 2 });
      await waitForDelivery(stack.db.dataSource, batch[0].id, 'retrying', { attempts: 2 });

      // The card links the streams page: both heads blocked, marked so, with how many wait behind each.
      await card.getByRole('link', { name: /fifo/ }).click();
      await page.getByRole('heading', { name: 'Ordered streams' }).waitFor();
      const rows = page.locator('table.streams tbody tr');
      await rows.nth(1).waitFor();
      assert.equal(await rows.count(), 2);
      const row = (key: string) => page.locator('table.streams tbody tr', { hasText: key });
      for (const [key, behind, head] of [
        ['vid_42', '2', video[0].id],
        ['batch_8123', '1', batch[0].id],
      ] as const) {
        assert.equal(await row(key).getAttribute('class'), 'blocked', `${key} is marked blocked`);
        const cells = await row(key).locator('td').allInnerTexts();
        assert.equal(cells[1], '#1');
        assert.match(cells[2], /retrying\s+blocked/);
        assert.doesNotMatch(cells[3], /not yet/, `${key}: since when its head has had its turn`);
        assert.equal(cells[4], behind);
        assert.equal(await row(key).getByRole('link', { name: '#1' }).getAttribute('href'), `#/deliveries/${head}`);
      }
      await axe('streams');
      await shot('17-streams');

      // A delivery waiting its turn: its key and sequence, the head it waits for (a link), blocked, how many behind.
      await go(`#/deliveries/${video[1].id}`);
      await page.getByRole('heading', { name: `Delivery ${video[1].id}` }).waitFor();
      assert.match(await page.locator('.ordering dd').innerText(), /key vid_42, sequence 2/);
      const stream = page.locator('.stream dd');
      await stream.waitFor();
      assert.match(await stream.innerText(), /^waiting behind #1 \(retrying blocked since .+\), 2 behind it$/);
      assert.equal(await stream.getByRole('link', { name: '#1' }).getAttribute('href'), `#/deliveries/${video[0].id}`);
      // Its request as Herald will build it carries its place in the stream.
      const headers = page.getByRole('table', { name: 'Request headers' });
      assert.equal(await headers.locator('tr', { hasText: 'x-herald-ordering-key' }).locator('td').innerText(), 'vid_42');
      assert.equal(await headers.locator('tr', { hasText: 'x-herald-sequence' }).locator('td').innerText(), '2');
      await axe('delivery waiting its turn');
      await shot('18-delivery-waiting-turn');
      // The head's own page says it is the head.
      await stream.getByRole('link', { name: '#1' }).click();
      await page.getByRole('heading', { name: `Delivery ${video[0].id}` }).waitFor();
      assert.match(await page.locator('.stream dd').innerText(), /^this delivery is the head \(retrying blocked since .+\), 2 behind it$/);
      // Its attempts' record shows the stream headers as sent (not masked like a custom header).
      const sentHeaders = page.getByRole('table', { name: 'Request headers' });
      assert.equal(await sentHeaders.locator('tr', { hasText: 'x-herald-ordering-key' }).locator('td').innerText(), 'vid_42');
      assert.equal(await sentHeaders.locator('tr', { hasText: 'x-herald-sequence' }).locator('td').innerText(), '1');
      assert.equal(rx.requests.filter((r) => r.sequence > 1).length, 0, 'nothing went past a head');

      // The heads recover: the streams drain, in order, and the page says so.
      headsFail = false;
      await eventually(
        async () => {
          for (const d of await stack.db.dataSource.getRepository(Delivery).findBy({ subscriptionId: sub.id, status: 'retrying' })) {
            // retryNow to the running workflow only: a retry of a delivery that just ended would be a manual attempt.
            await stack.client.workflow
              .getHandle(deliveryWorkflowId(d.eventId, sub.id))
              .signal(retryNowSignal)
              .catch(() => undefined);
          }
          return (await stack.db.dataSource.getRepository(Delivery).findBy({ subscriptionId: sub.id })).every((d) => d.status === 'succeeded');
        },
        60_000,
        'both streams to drain',
      );
      assertArrivedInOrder(rx.requests, { vid_42: 3, batch_8123: 2 });
      await go(`#/webhooks/${sub.id}/streams`);
      await page.getByText('No stream has a delivery still to end.').waitFor();
    } finally {
      headsFail = false;
      await rx.close();
    }
  });

  it('a link with a token signs in from the fragment and removes the token from the address bar', async () => {
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await fresh.goto(`${base}/console/#token=${encodeURIComponent(TEST_ADMIN_TOKEN)}`);
      await fresh.getByRole('heading', { name: 'Webhooks' }).waitFor();
      assert.equal(new URL(fresh.url()).hash, '#/webhooks');
      assert.ok(!fresh.url().includes(TEST_ADMIN_TOKEN));
      // replaceState: the entry that held the token is gone, not merely left behind.
      assert.equal(await fresh.evaluate('history.length'), 2, 'about:blank and the console, nothing more');
      assert.equal(await fresh.evaluate('sessionStorage.getItem("herald.console.token")'), TEST_ADMIN_TOKEN);
    } finally {
      await fresh.close();
    }
  });

  describe('tenants: a portal-session link shows one tenant only', () => {
    const A = 'ws_console_a';
    const B = 'ws_console_b';
    const hooks: Record<string, CreatedSubscription> = {};
    const deliveryIds: Record<string, string> = {};

    before(async () => {
      for (const [id, name] of [
        [A, 'Acme Studio'],
        [B, 'Bolt Prints'],
      ]) {
        assert.equal((await stack.api(`/v1/tenants/${id}`, { method: 'PUT', json: { name } })).status, 201);
        hooks[id] = await createSubscription(stack, { tenantId: id, url: ok.url, description: `${name} images` });
        const eventId = await postEvent(stack, { ...imageCreated(), tenantId: id });
        const [delivery] = await deliveriesOf(stack.db.dataSource, eventId);
        assert.equal(delivery.subscriptionId, hooks[id].id);
        deliveryIds[id] = delivery.id;
        await waitForDelivery(stack.db.dataSource, delivery.id, 'succeeded');
      }
    });

    /** The portal-session `url` of the admin API, opened on this stack (its origin is HERALD_PUBLIC_URL's). */
    const portalLink = async (tenantId: string): Promise<{ token: string; url: string }> => {
      const { status, body } = await stack.api(`/v1/tenants/${tenantId}/portal-sessions`, { method: 'POST', json: {} });
      assert.equal(status, 201);
      const link = new URL(body.url);
      assert.equal(link.pathname, '/console/');
      assert.equal(link.hash, `#token=${body.token}`);
      assert.match(body.token, /^hpt_/);
      return { token: body.token, url: `${base}${link.pathname}${link.hash}` };
    };

    it("shows only the tenant's own webhooks and deliveries, with no tenant picker and no Temporal UI link", async () => {
      const { token, url } = await portalLink(A);
      const tenant = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      tenant.setDefaultTimeout(15_000);
      tenant.on('pageerror', (e) => pageErrors.push(e.message));
      try {
        await tenant.goto(url);
        await tenant.getByRole('heading', { name: 'Webhooks' }).waitFor();
        // The token left the address bar (and the history entry) at once; it lives in sessionStorage.
        assert.equal(new URL(tenant.url()).hash, '#/webhooks');
        assert.ok(!tenant.url().includes(token), tenant.url());
        assert.equal(await tenant.evaluate('history.length'), 2, 'about:blank and the console, nothing more');
        assert.equal(await tenant.evaluate('sessionStorage.getItem("herald.console.token")'), token);
        await tenant.getByText(`Tenant ${A}`).waitFor();
        await tenant.getByText('link valid until').waitFor();
        await tenant.locator('li.webhook', { hasText: 'Acme Studio images' }).getByText('succeeded').waitFor();
        assert.deepEqual(
          await tenant.locator('li.webhook h2.webhook-name').allInnerTexts(),
          ['Acme Studio images'],
          "only A's webhook: not B's, not the default tenant's",
        );
        assert.equal(await tenant.getByLabel('Tenant').count(), 0, 'no tenant picker');
        const previous = page;
        page = tenant;
        try {
          await axe('tenant webhooks');
          await shot('14-tenant-webhooks');
          await go('#/deliveries');
          await tenant.locator(`tr[data-id="${deliveryIds[A]}"]`).waitFor();
          assert.equal(await tenant.locator('tbody tr').count(), 1, "only A's delivery in the log");
          await axe('tenant deliveries');
          await go(`#/deliveries/${deliveryIds[A]}`);
          await tenant.getByRole('heading', { name: `Delivery ${deliveryIds[A]}` }).waitFor();
          await tenant.getByRole('table', { name: 'Attempts' }).getByText('HTTP 200').waitFor();
          assert.equal(await tenant.getByRole('link', { name: 'Open in the Temporal UI' }).count(), 0);
          await axe('tenant delivery');
          // B's delivery, typed into the address bar: the API answers 404, as for an id that does not exist.
          await go(`#/deliveries/${deliveryIds[B]}`);
          await tenant.getByRole('alert').getByText('Not found').waitFor();
          assert.equal(await tenant.getByRole('heading', { name: `Delivery ${deliveryIds[B]}` }).count(), 0);
          await go(`#/webhooks/${hooks[B].id}`);
          await tenant.getByRole('alert').getByText('Not found').waitFor();
        } finally {
          page = previous;
        }
      } finally {
        await tenant.close();
      }
    });

    it('an expired link says so clearly, not a broken page, and leaves no token in the address bar', async () => {
      // A token this server signed for A, an hour ago, valid for a minute (60 s is the shortest the API issues).
      const tenantRow = (await stack.api(`/v1/tenants/${A}`)).body;
      const issuedAt = new Date(Date.now() - 3_600_000);
      const expired = stack.app
        .get<PortalTokens>(PORTAL_TOKENS)
        .issue({ tenantId: A, tenantCreatedAt: Date.parse(tenantRow.createdAt), issuedAt, expiresAt: new Date(issuedAt.getTime() + 60_000) });
      assert.equal((await stack.api('/v1/whoami', { headers: { authorization: `Bearer ${expired}` } })).status, 401);
      const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      fresh.on('pageerror', (e) => pageErrors.push(e.message));
      try {
        await fresh.goto(`${base}/console/#token=${expired}`);
        await fresh.getByText('Your link has expired or is invalid.').waitFor();
        assert.equal(await fresh.getByLabel('Admin token').isVisible(), false, "the operator's form stays folded away");
        assert.ok(!fresh.url().includes(expired), fresh.url());
        assert.equal(await fresh.evaluate('sessionStorage.getItem("herald.console.token")'), null);
        assert.equal(await fresh.getByRole('heading', { name: 'Webhooks' }).count(), 0);
        const previous = page;
        page = fresh;
        await axe('expired link');
        await shot('13-expired-link');
        page = previous;
      } finally {
        await fresh.close();
      }
    });

    it("an operator switching tenants sees only that tenant's webhooks", async () => {
      await go('#/webhooks');
      await webhookCard('Failing endpoint').waitFor();
      const picker = page.getByLabel('Tenant');
      assert.deepEqual(await picker.locator('option').allInnerTexts(), ['All tenants', 'Default (default)', `Acme Studio (${A})`, `Bolt Prints (${B})`]);
      const names = () => page.locator('li.webhook h2.webhook-name').allInnerTexts();
      await webhookCard('Acme Studio images').waitFor();
      await webhookCard('Bolt Prints images').waitFor();
      await picker.selectOption(A);
      await webhookCard('Failing endpoint').waitFor({ state: 'detached' });
      assert.deepEqual(await names(), ['Acme Studio images']);
      await picker.selectOption(B);
      await webhookCard('Bolt Prints images').waitFor();
      await webhookCard('Acme Studio images').waitFor({ state: 'detached' });
      assert.deepEqual(await names(), ['Bolt Prints images']);
      // The pick holds across a reload (sessionStorage), and the log follows it.
      await go('#/deliveries');
      await page.locator(`tr[data-id="${deliveryIds[B]}"]`).waitFor();
      assert.equal(await page.locator('tbody tr').count(), 1);
      await page.getByLabel('Tenant').selectOption('default');
      await page.locator(`tr[data-id="${deliveryIds[B]}"]`).waitFor({ state: 'detached' });
      await page.locator('tbody tr').first().waitFor();
      assert.equal(await page.locator(`tr[data-id="${deliveryIds[A]}"]`).count(), 0, 'the default tenant has its own log');
      await page.getByLabel('Tenant').selectOption({ label: 'All tenants' });
      await page.locator(`tr[data-id="${deliveryIds[B]}"]`).waitFor();
    });

    it('lists tenants with their weight and backlog, the one bursting first, and sets a weight', async () => {
      // Two events of B waiting for a worker (started, not matched: rows only, no workflow behind them).
      const waiting = [
        await seedEvent(stack.db.dataSource, { tenantId: B, matched: false }),
        await seedEvent(stack.db.dataSource, { tenantId: B, matched: false }),
      ];
      try {
        await go('#/tenants');
        const first = page.locator('table[aria-label="Tenants"] tbody tr').first();
        await first.waitFor();
        assert.equal(await first.getAttribute('data-id'), B, 'the tenant with the largest backlog first');
        assert.equal(await first.locator('td[data-label="Events waiting for a worker"]').innerText(), '2');
        assert.equal(await first.locator('td[data-label="Weight"]').innerText(), '1');
        await axe('tenants');
        await first.getByRole('link').click();
        await page.getByRole('heading', { name: `Tenant ${B}` }).waitFor();
        await page.getByRole('spinbutton', { name: 'Weight' }).fill('4');
        await page.getByRole('button', { name: 'Save weight' }).click();
        await page.getByRole('status').filter({ hasText: 'Weight saved: 4.' }).waitFor();
        assert.equal((await stack.api(`/v1/tenants/${B}`)).body.weight, 4);
        await axe('tenant');
      } finally {
        await stack.db.dataSource.query(`DELETE FROM events WHERE id = ANY($1)`, [waiting.map((e) => e.id)]);
        await stack.api(`/v1/tenants/${B}`, { method: 'PATCH', json: { weight: 1 } });
      }
    });
  });

  it('a link whose token is invalid says so, and leaves no token in the address bar', async () => {
    const fresh = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await fresh.goto(`${base}/console/#token=expired-portal-session-token-0123456789`);
      await fresh.getByText('Your link has expired or is invalid.').waitFor();
      assert.equal(await fresh.getByLabel('Admin token').isVisible(), false, "the operator's form stays folded away");
      assert.ok(!fresh.url().includes('expired-portal-session-token'), fresh.url());
      assert.equal(await fresh.evaluate('sessionStorage.getItem("herald.console.token")'), null);
    } finally {
      await fresh.close();
    }
  });

  it('ran under the CSP without a violation or a script error', () => {
    assert.deepEqual(cspViolations, []);
    assert.deepEqual(pageErrors, []);
  });
});
