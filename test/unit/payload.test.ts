import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTraceparent } from '../../libs/delivery/trace-context';
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
    assert.equal(
      body.image_url,
      'https://usestencil.s3.amazonaws.com/dev/images/a3b37b73-6876-44b7-bfd9-dfc3b0ad4157/19da5632-feef-4abd-a28a-e3dfa6077429.png',
    );
    assert.equal(body.image_url_jpg, body.image_url.replace(/\.png$/, '.jpeg'));
    assert.deepEqual(body.metadata, {});
    assert.deepEqual(
      body.modifications.map((m: { name: string }) => m.name),
      ['image_1', 'model_name', 'text_3', 'qrcode_4', 'barcode_5'],
    );
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

  it("always carries a traceId, as PixelBin's event.traceId: the producer's, else its traceparent's trace-id, else the event id", () => {
    const fromTraceparent = JSON.parse(
      buildBody('envelope', { ...event, traceId: null, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, {}),
    );
    assert.equal(fromTraceparent.traceId, '0af7651916cd43dd8448eb211c80319c');
    const own = JSON.parse(buildBody('envelope', { ...event, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, {}));
    assert.equal(own.traceId, '4bf92f3577b34da6a3ce929d0e0e4736', "the producer's own traceId wins");
    const none = JSON.parse(buildBody('envelope', { ...event, traceId: null, traceparent: 'garbage' }, {}));
    assert.equal(none.traceId, event.id);
  });
});

describe('W3C traceparent', () => {
  it('parses version 00 and refuses malformed or all-zero ids', () => {
    assert.deepEqual(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'), {
      header: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentId: 'b7ad6b7169203331',
      flags: '01',
    });
    assert.equal(
      parseTraceparent(' 00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01 ')?.header,
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    );
    for (const bad of [
      undefined,
      '',
      'garbage',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra',
      '00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01',
    ]) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
    assert.equal(
      parseTraceparent('01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future')?.header,
      '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'a later version is read as 00',
    );
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
