import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildBody, SAMPLE_IMAGE_CREATED, type PayloadEvent } from '../../libs/delivery/payload';

const event: PayloadEvent = {
  id: 'evt_01JD5Z4R8W3XK2M9Q7T6V5B4N3',
  type: 'image.created',
  receivedAt: new Date('2025-03-04T05:06:07.089Z'),
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  data: { ...SAMPLE_IMAGE_CREATED },
};

describe('flat payload', () => {
  it('is the documented image.created payload: the event data plus user_defined', () => {
    const body = JSON.parse(buildBody('flat', event, { auth: 'test' }));
    assert.deepEqual(Object.keys(body), ['image_url', 'image_url_jpg', 'metadata', 'modifications', 'status', 'user_defined']);
    assert.equal(body.image_url, 'https://usestencil.s3.amazonaws.com/dev/images/a3b37b73-6876-44b7-bfd9-dfc3b0ad4157/19da5632-feef-4abd-a28a-e3dfa6077429.png');
    assert.equal(body.image_url_jpg, body.image_url.replace(/\.png$/, '.jpeg'));
    assert.deepEqual(body.metadata, {});
    assert.deepEqual(body.modifications.map((m: { name: string }) => m.name), ['image_1', 'model_name', 'text_3', 'qrcode_4', 'barcode_5']);
    assert.deepEqual(body.modifications[3], { name: 'qrcode_4', value: 'https://usestencil.com' });
    assert.equal(body.status, 'completed');
    assert.deepEqual(body.user_defined, { auth: 'test' });
  });

  it('always carries user_defined, empty when the subscription has none', () => {
    assert.deepEqual(JSON.parse(buildBody('flat', event, {})).user_defined, {});
    assert.deepEqual(JSON.parse(buildBody('flat', event, null)).user_defined, {});
  });

  it("gives the subscription's user_defined precedence over a producer field of that name", () => {
    const spoofing = { ...event, data: { ...event.data, user_defined: { auth: 'forged' } } };
    assert.deepEqual(JSON.parse(buildBody('flat', spoofing, { auth: 'real' })).user_defined, { auth: 'real' });
  });

  it('passes producer fields through untouched, nested ones included', () => {
    const custom = { ...event, data: { status: 'completed', metadata: { width: 1080, tags: ['a', 'b'] }, extra: null } };
    assert.deepEqual(JSON.parse(buildBody('flat', custom, {})), { ...custom.data, user_defined: {} });
  });
});

describe('envelope payload', () => {
  it('wraps the data with the event id, type, accept time and trace id', () => {
    const body = JSON.parse(buildBody('envelope', event, { source: 'usestencil' }));
    assert.deepEqual(body, {
      id: event.id,
      type: 'image.created',
      timestamp: '2025-03-04T05:06:07.089Z',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      data: { ...SAMPLE_IMAGE_CREATED },
      user_defined: { source: 'usestencil' },
    });
  });

  it('keeps a missing trace id as null rather than dropping the field', () => {
    const body = JSON.parse(buildBody('envelope', { ...event, traceId: null }, {}));
    assert.ok('traceId' in body);
    assert.equal(body.traceId, null);
  });
});

describe('bodies', () => {
  it('are the same bytes every time, so every attempt of a delivery sends the same payload', () => {
    for (const format of ['flat', 'envelope'] as const) {
      assert.equal(buildBody(format, event, { a: 1 }), buildBody(format, { ...event, data: structuredClone(event.data) }, { a: 1 }));
    }
  });

  it('refuse an unknown payload format', () => {
    assert.throws(() => buildBody('xml' as never, event, {}), TypeError);
  });
});

describe('SAMPLE_IMAGE_CREATED', () => {
  it('has no user_defined (each subscription adds its own) and cannot be changed by a test', () => {
    assert.ok(!('user_defined' in SAMPLE_IMAGE_CREATED));
    assert.ok(Object.isFrozen(SAMPLE_IMAGE_CREATED));
    assert.throws(() => (SAMPLE_IMAGE_CREATED.modifications as unknown[]).push({}), TypeError);
    assert.throws(() => {
      (SAMPLE_IMAGE_CREATED.metadata as Record<string, unknown>).x = 1;
    }, TypeError);
  });
});
