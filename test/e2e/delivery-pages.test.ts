/**
 * DeliveryRepository.listPage over real Postgres: every filter the API passes answers exactly the
 * rows a plain reading of the filter picks, newest first, one more than the limit, page after
 * page. A tenant's page in a time range takes its ids from the tenant's covering index first
 * (bench/results/2026-12-03-log-at-scale.md); the other shapes read rows in one step. Both are
 * held to the same answer here, including rows whose id and created_at straddle a window's edge.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Delivery, type Subscription } from '../../libs/db/entities';
import { DeliveryRepository, type DeliveryFilter } from '../../libs/db/repositories';
import { testSecretBox } from '../support/engine';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { seedEvent, seedSubscription } from '../support/seed';
import { idFloor } from '../../libs/domain/ids';
import type { DeliveryStatus } from '../../libs/domain/types';

const HOUR = 60 * 60 * 1000;
const T0 = Date.parse('2026-06-01T00:00:00Z');
const STATUSES: DeliveryStatus[] = ['succeeded', 'succeeded', 'dead_lettered', 'retrying', 'succeeded', 'cancelled'];

describe('delivery list pages', () => {
  let db: TestDatabase;
  const rows: { id: string; tenantId: string; subscriptionId: string; status: DeliveryStatus; createdAt: Date }[] = [];
  let subs: Subscription[] = [];

  before(async () => {
    db = await createTestDatabase();
    const ds = db.dataSource;
    await ds.query(`INSERT INTO tenants (id, name) VALUES ('pages_a', 'A'), ('pages_b', 'B')`);
    const box = testSecretBox();
    subs = [
      await seedSubscription(ds, box, { url: 'https://a1.test', tenantId: 'pages_a' }),
      await seedSubscription(ds, box, { url: 'https://a2.test', tenantId: 'pages_a' }),
      await seedSubscription(ds, box, { url: 'https://b1.test', tenantId: 'pages_b' }),
    ];
    // 120 deliveries an hour apart over five days (ids of that hour), in id order; every seventh one's created_at
    // is 40 minutes off its id's time (two readings of the clock), so an id just inside a
    // window's edge can belong to a row outside it, and the other way round.
    for (let i = 0; i < 120; i++) {
      const at = T0 + i * HOUR;
      const sub = subs[i % 3];
      const event = await seedEvent(ds, { tenantId: sub.tenantId, receivedAt: new Date(at), workflowStartedAt: new Date(at) });
      const createdAt = new Date(i % 7 === 0 ? at + 40 * 60 * 1000 : at);
      const row = {
        id: `${idFloor('delivery', new Date(at)).slice(0, -3)}${String(i).padStart(3, '0')}`,
        tenantId: sub.tenantId,
        subscriptionId: sub.id,
        status: STATUSES[i % STATUSES.length],
        createdAt,
      };
      await ds.getRepository(Delivery).insert({
        ...row,
        eventId: event.id,
        eventType: event.type,
        templateId: null,
        attemptCount: 1,
        workflowId: `delivery:${event.id}:${sub.id}`,
        updatedAt: createdAt,
      });
      rows.push(row);
    }
    await ds.query(`ANALYZE deliveries`);
  });

  after(async () => {
    await db?.drop();
  });

  /** What the filter asks for, read plainly: newest first. */
  const expected = (f: DeliveryFilter, cursor?: string): string[] =>
    rows
      .filter(
        (r) =>
          (f.tenantId === undefined || r.tenantId === f.tenantId) &&
          (!f.subscriptionId || r.subscriptionId === f.subscriptionId) &&
          (!f.status || r.status === f.status) &&
          (!f.since || r.createdAt >= f.since) &&
          (!f.until || r.createdAt <= f.until) &&
          (!cursor || r.id < cursor),
      )
      .map((r) => r.id)
      .sort()
      .reverse();

  /** Every page of the filter, `limit` rows at a time, following the cursor the API would. */
  async function allPages(f: DeliveryFilter, limit: number): Promise<string[]> {
    const repo = new DeliveryRepository(db.dataSource.manager);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 200; n++) {
      const page = (await repo.listPage(f, { limit, cursor })).map((d) => d.id);
      assert.deepEqual(page, expected(f, cursor).slice(0, limit + 1), `page after ${cursor ?? 'the start'} of ${JSON.stringify(f)}`);
      seen.push(...page.slice(0, limit));
      if (page.length <= limit) return seen;
      cursor = page[limit - 1];
    }
    throw new Error('no last page');
  }

  const since = new Date(T0 + 30 * HOUR + 20 * 60 * 1000);
  const until = new Date(T0 + 70 * HOUR + 20 * 60 * 1000);
  const FILTERS: [string, () => DeliveryFilter][] = [
    ['a tenant in a time range (ids from its covering index first)', () => ({ tenantId: 'pages_a', since, until })],
    ['a tenant since an instant', () => ({ tenantId: 'pages_a', since })],
    ['a tenant until an instant', () => ({ tenantId: 'pages_b', until })],
    ['a tenant and a status in a time range', () => ({ tenantId: 'pages_a', status: 'succeeded', since, until })],
    ['a tenant and a rare status in a time range', () => ({ tenantId: 'pages_a', status: 'dead_lettered', since, until })],
    ['a tenant, no time range', () => ({ tenantId: 'pages_a' })],
    ['a tenant and a subscription in a time range', () => ({ tenantId: 'pages_a', subscriptionId: subs[1].id, since, until })],
    ['a subscription and a rare status', () => ({ tenantId: 'pages_a', subscriptionId: subs[0].id, status: 'dead_lettered' })],
    ['another tenant asking for a subscription not its own', () => ({ tenantId: 'pages_b', subscriptionId: subs[0].id, since })],
    ['every tenant in a time range (admin)', () => ({ since, until })],
  ];

  for (const [name, filter] of FILTERS) {
    it(`answers ${name} exactly, page after page`, async () => {
      const f = filter();
      const all = await allPages(f, 4);
      assert.deepEqual(all, expected(f));
      if (f.tenantId === 'pages_a' && !f.subscriptionId && f.since && f.until && !f.status) {
        assert.ok(all.length >= 20, 'the window holds many pages of rows');
        // The straddling rows: an id inside the window whose row was created after it, and the other way round.
        assert.ok(rows.some((r) => r.tenantId === 'pages_a' && r.createdAt > f.until! && r.id < idFloor('delivery', f.until!) && !all.includes(r.id)));
      }
    });
  }
});
