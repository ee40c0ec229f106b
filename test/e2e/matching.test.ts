/**
 * Subscription matching has one rule (libs/domain/matching.ts) and the SQL that finds an
 * event's subscriptions is built from it. The same table of subscriptions and events, run
 * through Postgres and through the pure rule, must give the same matches.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStores, type Stores } from '../../libs/db/repositories';
import { candidateFilters, matchesSubscription } from '../../libs/domain/matching';
import { DEFAULT_TENANT_ID } from '../../libs/domain/tenants';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testSecretBox } from '../support/engine';
import { seedSubscription } from '../support/seed';

/** name → how the subscription is set up (tenant `default` unless said). */
const SUBSCRIPTIONS: Record<string, { tenantId?: string; eventTypes: string[]; templateIds?: string[]; enabled?: boolean }> = {
  exact: { eventTypes: ['image.created'] },
  imageFamily: { eventTypes: ['image.*'] },
  everything: { eventTypes: ['*'] },
  videoFamily: { eventTypes: ['video.*'] },
  renderFamily: { eventTypes: ['video.render.*'] },
  renderDone: { eventTypes: ['video.render.completed'] },
  deepFamily: { eventTypes: ['video.render.step.*'] },
  otherThenExact: { eventTypes: ['audio.*', 'image.created'] },
  prefixLookalike: { eventTypes: ['imagery.*'] },
  familyOfItself: { eventTypes: ['image.created.*'] },
  scoped: { eventTypes: ['*'], templateIds: ['tpl_1'] },
  scopedTwo: { eventTypes: ['video.render.*'], templateIds: ['tpl_1', 'tpl_2'] },
  disabled: { eventTypes: ['*'], enabled: false },
  acmeExact: { tenantId: 'acme', eventTypes: ['image.created'] },
  acmeEverything: { tenantId: 'acme', eventTypes: ['*'] },
  acmeScoped: { tenantId: 'acme', eventTypes: ['video.*'], templateIds: ['tpl_1'] },
  acmeDisabled: { tenantId: 'acme', eventTypes: ['*'], enabled: false },
  globexFamily: { tenantId: 'globex', eventTypes: ['image.*'] },
  // Operational events: the tenant's own, and the operator's for every tenant.
  acmeOps: { tenantId: 'acme', eventTypes: ['herald.*'] },
  acmeOpsToo: { tenantId: 'acme', eventTypes: ['herald.subscription.*'] },
  operator: { tenantId: '_operator', eventTypes: ['herald.*'] },
  operatorDisabledOnly: { tenantId: '_operator', eventTypes: ['herald.subscription.disabled'] },
  operatorOff: { tenantId: '_operator', eventTypes: ['herald.*'], enabled: false },
};

/**
 * [event type, template id, the subscriptions it reaches, the event's tenant (`default` unless
 * said), the subscription an operational event is about].
 */
const CASES: [string, string | null, string[], string?, string?][] = [
  ['image.created', null, ['exact', 'imageFamily', 'everything', 'otherThenExact']],
  ['image.created', 'tpl_1', ['exact', 'imageFamily', 'everything', 'otherThenExact', 'scoped']],
  ['image.deleted', null, ['imageFamily', 'everything']],
  ['video.render.completed', null, ['everything', 'videoFamily', 'renderFamily', 'renderDone']],
  ['video.render.completed', 'tpl_2', ['everything', 'videoFamily', 'renderFamily', 'renderDone', 'scopedTwo']],
  ['video.render.step.done', 'tpl_1', ['everything', 'videoFamily', 'renderFamily', 'deepFamily', 'scoped', 'scopedTwo']],
  ['video.uploaded', 'tpl_3', ['everything', 'videoFamily']],
  ['imagery.created', null, ['everything', 'prefixLookalike']],
  ['video', null, ['everything']],
  ['image.created', null, ['acmeExact', 'acmeEverything'], 'acme'],
  ['video.render.completed', 'tpl_1', ['acmeEverything', 'acmeScoped'], 'acme'],
  ['video.render.completed', 'tpl_2', ['acmeEverything'], 'acme'],
  ['image.created', 'tpl_1', ['globexFamily'], 'globex'],
  ['video.uploaded', null, [], 'globex'],
  ['image.created', null, [], 'initech'],
  // `*` does not take herald.*; the operator takes every tenant's; no subscription hears about itself.
  ['herald.subscription.failing', null, ['operator'], DEFAULT_TENANT_ID, 'exact'],
  ['herald.subscription.disabled', null, ['acmeOps', 'acmeOpsToo', 'operator', 'operatorDisabledOnly'], 'acme', 'acmeEverything'],
  ['herald.subscription.disabled', null, ['acmeOpsToo', 'operator', 'operatorDisabledOnly'], 'acme', 'acmeOps'],
  ['herald.delivery.dead_lettered', null, ['acmeOps', 'operator'], 'acme', 'acmeExact'],
  ['herald.subscription.disabled', null, ['operatorDisabledOnly'], '_operator', 'operator'],
  ['herald.subscription.recovered', null, ['operator'], 'globex', 'globexFamily'],
  ['image.created', null, [], '_operator'],
];

describe('subscription matching', () => {
  let db: TestDatabase;
  let stores: Stores;
  const ids = new Map<string, string>();

  before(async () => {
    db = await createTestDatabase();
    stores = createStores(db.dataSource);
    for (const [name, s] of Object.entries(SUBSCRIPTIONS)) {
      if (s.tenantId) await stores.tenants.ensure(s.tenantId);
      const sub = await seedSubscription(db.dataSource, testSecretBox(), {
        url: `https://example.com/${name}`,
        tenantId: s.tenantId ?? DEFAULT_TENANT_ID,
        eventTypes: s.eventTypes,
        templateIds: s.templateIds ?? [],
        enabled: s.enabled ?? true,
      });
      ids.set(sub.id, name);
    }
  });
  after(async () => {
    await db?.drop();
  });

  it('names every filter that receives a type: the exact type, each family deepest first, and *', () => {
    assert.deepEqual(candidateFilters('video.render.completed'), ['video.render.completed', 'video.render.*', 'video.*', '*']);
    assert.deepEqual(candidateFilters('image.created'), ['image.created', 'image.*', '*']);
    assert.deepEqual(candidateFilters('video'), ['video', '*']);
    assert.deepEqual(candidateFilters('herald.delivery.dead_lettered'), ['herald.delivery.dead_lettered', 'herald.delivery.*', 'herald.*'], 'no *');
  });

  for (const [type, templateId, expected, tenantId = DEFAULT_TENANT_ID, subject] of CASES) {
    it(`finds the same subscriptions in Postgres and in the pure rule for ${tenantId}'s ${type}${templateId ? ` (${templateId})` : ''}${subject ? ` about ${subject}` : ''}`, async () => {
      const idOf = (name: string) => [...ids].find(([, n]) => n === name)![0];
      const event = { tenantId, type, templateId, data: subject ? { subscriptionId: idOf(subject) } : {} };
      const bySql = (await stores.subscriptions.findEnabledMatching(event)).map((s) => ids.get(s.id)).sort();
      const byRule = Object.entries(SUBSCRIPTIONS)
        .filter(([name, s]) =>
          matchesSubscription(
            {
              id: idOf(name),
              tenantId: s.tenantId ?? DEFAULT_TENANT_ID,
              enabled: s.enabled ?? true,
              eventTypes: s.eventTypes,
              templateIds: s.templateIds ?? [],
            },
            event,
          ),
        )
        .map(([name]) => name)
        .sort();
      assert.deepEqual(bySql, byRule, 'SQL and the pure rule agree');
      assert.deepEqual(byRule, [...expected].sort());
    });
  }
});
