/**
 * EventCatalog's validator cache over a fake store: compiled once per version, recompiled when
 * the version moves (a change made through another API replica), archive and unknown refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventCatalog } from '../../apps/api/src/event-types/event-catalog';
import { EventTypeArchived, InvalidEventPayload, UnknownEventType } from '../../apps/api/src/common/errors';
import type { EventType } from '../../libs/db/entities';
import type { Stores } from '../../libs/db/repositories';

function fakeStore(row: EventType) {
  const calls = { stamp: 0, find: 0 };
  const store: Pick<Stores['eventTypes'], 'find' | 'findStamp' | 'listActiveNames'> = {
    async findStamp(name) {
      calls.stamp++;
      return name === row.name ? { name, version: row.version, archivedAt: row.archivedAt } : null;
    },
    async find(name) {
      calls.find++;
      return name === row.name ? { ...row } : null;
    },
    async listActiveNames(names) {
      return new Set(names.filter((n) => n === row.name && !row.archivedAt));
    },
  };
  return { store, calls };
}

const now = new Date();
const row: EventType = {
  name: 'video.render.completed',
  description: 'd',
  schema: { type: 'object', required: ['url'] },
  example: { url: 'x' },
  group: null,
  archivedAt: null,
  version: 1,
  createdAt: now,
  updatedAt: now,
};

describe('EventCatalog', () => {
  it('compiles a schema once per version and reads only the version on later events', async () => {
    const { store, calls } = fakeStore(row);
    const catalog = new EventCatalog({ eventTypes: store as Stores['eventTypes'] });
    await catalog.checkEvent(row.name, { url: 'a' });
    await catalog.checkEvent(row.name, { url: 'b' });
    assert.deepEqual(calls, { stamp: 2, find: 1 });
    await assert.rejects(catalog.checkEvent(row.name, {}), (e: unknown) => e instanceof InvalidEventPayload && JSON.stringify(e.details).includes('/url'));
  });

  it('validates with the cached validator without reading the catalog, or leaves the check to checkEvent', async () => {
    const { store, calls } = fakeStore(row);
    const catalog = new EventCatalog({ eventTypes: store as Stores['eventTypes'] });
    assert.equal(catalog.validatedVersion(row.name, { url: 'a' }), undefined, 'nothing cached yet');
    assert.equal(await catalog.checkEvent(row.name, { url: 'a' }), 1);
    const reads = { ...calls };
    assert.equal(catalog.validatedVersion(row.name, { url: 'b' }), 1);
    assert.equal(catalog.validatedVersion(row.name, {}), undefined, 'data failing the cached schema: checkEvent decides');
    assert.equal(catalog.validatedVersion('video.other', { url: 'b' }), undefined);
    assert.deepEqual(calls, reads, 'no reads');
  });

  it('reads and compiles a type not cached yet once for a burst of concurrent events, each still reading its version', async () => {
    const { store, calls } = fakeStore(row);
    const catalog = new EventCatalog({ eventTypes: store as Stores['eventTypes'] });
    const versions = await Promise.all(Array.from({ length: 20 }, (_, i) => catalog.checkEvent(row.name, { url: `u${i}` })));
    assert.deepEqual(versions, Array<number>(20).fill(1));
    assert.deepEqual(calls, { stamp: 20, find: 1 });
  });

  it('recompiles when the version moved, as after a change on another replica', async () => {
    const changed = { ...row };
    const { store, calls } = fakeStore(changed);
    const catalog = new EventCatalog({ eventTypes: store as Stores['eventTypes'] });
    await assert.rejects(catalog.checkEvent(row.name, { duration: 3 }), InvalidEventPayload);
    Object.assign(changed, { version: 2, schema: { type: 'object' } });
    await catalog.checkEvent(row.name, { duration: 3 });
    assert.equal(calls.find, 2);
  });

  it('refuses unknown and archived types, and filters naming them', async () => {
    const archived = { ...row, archivedAt: now };
    const catalog = new EventCatalog({ eventTypes: fakeStore(archived).store as Stores['eventTypes'] });
    await assert.rejects(catalog.checkEvent('video.other', {}), UnknownEventType);
    await assert.rejects(catalog.checkEvent(row.name, { url: 'a' }), EventTypeArchived);
    await assert.rejects(catalog.checkSubscriptionFilters([row.name]), EventTypeArchived);
    await assert.rejects(catalog.checkSubscriptionFilters(['video.other']), UnknownEventType);
    await assert.rejects(catalog.checkSubscriptionFilters(['video.*.x']), UnknownEventType);
    await catalog.checkSubscriptionFilters(['video.*', 'video.render.*', '*']);
  });
});
