/**
 * The Temporal web UI, driven by Playwright in Debian's Chromium, on a dev server of this test's
 * own (with its UI), with a real Herald API + worker on it: an operator finds a dead-lettered
 * delivery by search attribute, opens it from the list and from the API's deep link, sees why it
 * failed, and cuts a waiting delivery's retry timer short with the `retryNow` signal.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Attempt, type Delivery, type Subscription } from '../../libs/db/entities';
import { freePort } from '../../libs/devstack/ports';
import { startTemporalDevServer, type RunningTemporal } from '../../libs/devstack/temporal-dev-server';
import { deliveryWorkflowId } from '../../libs/temporal/names';
import { deliveriesOf, exhaustDelivery, waitForDelivery } from '../support/deliveries';
import { testSecretBox } from '../support/engine';
import { startReceiver, type Receiver } from '../support/receivers';
import { seedEvent, seedSubscription } from '../support/seed';
import { startStack, type TestStack } from '../support/stack';

const ARTIFACTS = join(__dirname, '..', '..', '..', 'test', 'browser', 'artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

describe('the Temporal web UI shows and drives Herald deliveries', { timeout: 120_000 }, () => {
  let temporal: RunningTemporal;
  let stack: TestStack;
  let failing: Receiver;
  let browser: Browser;
  let page: Page;
  let sub: Subscription;
  let deadLettered: Delivery;
  let waiting: Delivery;
  let deadRunId: string;

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const workflowIdOf = (d: Delivery): string => deliveryWorkflowId(d.eventId, d.subscriptionId);

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const port = await freePort();
    let uiPort = await freePort();
    while (uiPort === port) uiPort = await freePort();
    temporal = await startTemporalDevServer({ port, uiPort });
    stack = await startStack({ TEMPORAL_ADDRESS: temporal.address, TEMPORAL_UI_URL: temporal.uiUrl });
    failing = await startReceiver({ kind: 'status', status: 500 });

    const ds = stack.db.dataSource;
    sub = await seedSubscription(ds, testSecretBox(), { url: failing.url });
    const [first, second] = [await seedEvent(ds), await seedEvent(ds)];
    await stack.deliveries.startEvent(first.id);
    await stack.deliveries.startEvent(second.id);
    [deadLettered] = await deliveriesOf(ds, first.id);
    [waiting] = await deliveriesOf(ds, second.id);
    await exhaustDelivery(ds, stack.deliveries, deadLettered.id);
    // Attempts 1 and 2 run back to back; attempt 3 waits on a one-minute timer.
    waiting = await waitForDelivery(ds, waiting.id, 'retrying', { attempts: 2 });

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(20_000);
  });
  after(async () => {
    await browser?.close();
    await failing?.close();
    await stack?.stop();
    await temporal?.stop();
  });

  it('finds the dead-lettered delivery in the workflow list by its search attributes', async () => {
    const query = `HeraldDeliveryStatus="dead_lettered" AND HeraldSubscriptionId="${sub.id}"`;
    const link = page.getByRole('link', { name: workflowIdOf(deadLettered), exact: true });
    // Visibility is eventually consistent: reload until the list has caught up.
    for (let i = 0; ; i++) {
      await page.goto(`${temporal.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
      try {
        await link.waitFor({ timeout: 5_000 });
        break;
      } catch (err) {
        if (i >= 4) throw err;
      }
    }
    await shot('01-dead-letters-of-subscription');
    // Only the dead-lettered delivery matches: the waiting one of the same subscription does not.
    assert.equal(await page.getByRole('link', { name: /^delivery:/ }).count(), 1);
    assert.equal(await page.getByRole('link', { name: workflowIdOf(waiting), exact: true }).count(), 0);
    await link.click();
    await page.waitForURL(/\/workflows\/[^/]+\/[0-9a-f-]{36}\//);
    const match = new RegExp(`/workflows/${encodeURIComponent(workflowIdOf(deadLettered))}/([0-9a-f-]{36})/`).exec(page.url());
    assert.ok(match, `opened ${page.url()}`);
    deadRunId = match[1];
  });

  it('shows the delivery as Failed with the DeliveryExhausted failure', async () => {
    await page.getByTestId('execution-status').filter({ hasText: 'Failed' }).first().waitFor();
    await page.getByText('DeliveryExhausted').first().waitFor();
    await page.getByText(`delivery ${deadLettered.id} failed 6 attempts`).first().waitFor();
    await shot('02-dead-lettered-delivery');
  });

  it("lands on the same workflow page from the API's temporalUiUrl deep link", async () => {
    const { status, body } = await stack.api(`/v1/deliveries/${deadLettered.id}`);
    assert.equal(status, 200, JSON.stringify(body));
    const url: string = body.temporalUiUrl;
    assert.equal(url, `${temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowIdOf(deadLettered))}`);
    await page.goto(url);
    // The UI resolves the workflow id to its latest run: the one the list opened.
    await page.waitForURL((u) => u.pathname.includes(`/${deadRunId}/`));
    await page
      .getByRole('heading', { name: workflowIdOf(deadLettered) })
      .first()
      .waitFor();
    await page.getByTestId('execution-status').filter({ hasText: 'Failed' }).first().waitFor();
    await shot('03-deep-link');
    // A closed workflow takes no signal: the UI offers none, which is why a finished delivery is
    // retried through Herald (API / `herald deliveries retry`), not from here.
    await page.getByRole('button', { name: 'More Actions' }).filter({ visible: true }).click();
    await page.getByRole('menuitem').first().waitFor();
    const actions = await page.getByRole('menuitem').filter({ visible: true }).allTextContents();
    assert.ok(!actions.some((a) => a.includes('Send a Signal')), `actions offered: ${actions.join(', ')}`);
    await page.keyboard.press('Escape');
  });

  it('sends retryNow to a waiting delivery from the UI, and its next attempt runs at once', async () => {
    const { body } = await stack.api(`/v1/deliveries/${waiting.id}`);
    await page.goto(body.temporalUiUrl);
    await page.getByTestId('execution-status').filter({ hasText: 'Running' }).first().waitFor();
    await page.getByRole('button', { name: 'More Actions' }).filter({ visible: true }).click();
    await page.getByRole('menuitem', { name: 'Send a Signal' }).filter({ visible: true }).click();
    const dialog = page.getByRole('dialog').filter({ visible: true });
    await dialog.getByTestId('signal-select-button').click();
    // The UI lists the signals the workflow defines.
    await page.getByRole('option', { name: 'retryNow', exact: true }).click();
    await shot('04-signal-retry-now');
    const signalledAt = Date.now();
    await dialog.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('Workflow signaled.').first().waitFor();

    const after3 = await waitForDelivery(stack.db.dataSource, waiting.id, 'retrying', { attempts: 3, timeoutMs: 15_000 });
    assert.equal(after3.attemptCount, 3);
    const [second, third] = await stack.db.dataSource
      .getRepository(Attempt)
      .find({ where: { deliveryId: waiting.id }, order: { number: 'ASC' }, skip: 1, take: 2 });
    // The timer was one minute long; the signal ended it.
    const waited = third.startedAt.getTime() - second.finishedAt.getTime();
    assert.ok(waited < 45_000, `attempt 3 started ${waited} ms after attempt 2`);
    assert.ok(third.startedAt.getTime() >= signalledAt - 1_000, 'attempt 3 ran because of the signal');
    assert.equal(third.trigger, 'scheduled');
    await page.reload();
    await page.getByTestId('execution-status').first().waitFor();
    await shot('05-after-retry-now');
  });
});
