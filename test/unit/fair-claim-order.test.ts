/** The order a claim's events are started in: weighted round robin over tenants (libs/db/repositories/event.repository.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interleave, type ClaimedEvent } from '../../libs/db/repositories';
import { fairness } from '../../libs/temporal/delivery-service';
import { devServerDynamicConfig, FAIRNESS_DYNAMIC_CONFIG } from '../../libs/temporal/fairness';

const events = (tenantId: string, n: number, weight = 1): ClaimedEvent[] => Array.from({ length: n }, (_, i) => ({ id: `${tenantId}${i}`, tenantId, weight }));

describe('a claim started in turn', () => {
  it('alternates tenants of equal weight, each oldest first', () => {
    assert.deepEqual(
      interleave([...events('a', 3), ...events('b', 2)]).map((e) => e.id),
      ['a0', 'b0', 'a1', 'b1', 'a2'],
    );
  });

  it('gives a tenant of weight 4 four turns for one of weight 1', () => {
    const order = interleave([...events('light', 2), ...events('heavy', 8, 4)]).map((e) => e.tenantId);
    assert.deepEqual(order, ['light', 'heavy', 'heavy', 'heavy', 'heavy', 'light', 'heavy', 'heavy', 'heavy', 'heavy']);
  });

  it('keeps a lone tenant in the order claimed', () => {
    assert.deepEqual(
      interleave(events('a', 4)).map((e) => e.id),
      ['a0', 'a1', 'a2', 'a3'],
    );
  });
});

describe("a tenant's priority on Temporal's task queue", () => {
  it('is its id as fairness key and its weight as fairness weight', () => {
    assert.deepEqual(fairness({ id: 'ws_4821', weight: 4 }), { fairnessKey: 'ws_4821', fairnessWeight: 4 });
    assert.deepEqual(fairness({ id: 'ws_4821' }), { fairnessKey: 'ws_4821' }, 'no weight: the server default');
  });

  it('is switched on in the dev server by its dynamic config, with one partition', () => {
    const args = devServerDynamicConfig();
    const values = Object.fromEntries(args.filter((_, i) => i % 2 === 1).map((kv) => kv.split('=') as [string, string]));
    assert.deepEqual(values, {
      'matching.useNewMatcher': 'true',
      'matching.enableFairness': 'true',
      'matching.enableMigration': 'true',
      'matching.numTaskqueueReadPartitions': '1',
      'matching.numTaskqueueWritePartitions': '1',
    });
    assert.ok(args.filter((_, i) => i % 2 === 0).every((flag) => flag === '--dynamic-config-value'));
    assert.equal(FAIRNESS_DYNAMIC_CONFIG['matching.enableFairness'], true);
  });
});
