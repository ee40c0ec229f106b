import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createHttpSender, type HttpSender, type OutgoingRequest } from '../../libs/delivery/http-sender';
import { createTargetPolicy } from '../../libs/delivery/ssrf';
import { RECEIVER_PATH, startReceiver, type Receiver } from '../support/receivers';

const body = JSON.stringify({ image_url: 'https://cdn.example/i.png', status: 'completed', user_defined: {} });
const headers = { 'content-type': 'application/json', 'webhook-id': 'dlv_test', 'x-herald-attempt': '1' };

describe('http sender against real receivers', () => {
  let receiver: Receiver;
  let sender: HttpSender;
  let guarded: HttpSender; // nothing allowlisted: loopback is refused
  const post = (overrides: Partial<OutgoingRequest> = {}, signal?: AbortSignal) => sender.send({ url: receiver.url, headers, body, ...overrides }, signal);

  before(async () => {
    receiver = await startReceiver();
    sender = createHttpSender({ policy: createTargetPolicy({ allowedTargets: ['127.0.0.1'], allowHttp: true }), timeoutMs: 2_000 });
    guarded = createHttpSender({ policy: createTargetPolicy({ allowedTargets: [], allowHttp: true }), timeoutMs: 2_000 });
  });
  after(async () => {
    await receiver.close();
    await Promise.all([sender.close(), guarded.close()]);
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.setBehaviour({ kind: 'status', status: 200 });
  });

  it('POSTs the body and headers and reports a 2xx as success', async () => {
    receiver.setBehaviour({ kind: 'status', status: 204, body: '' });
    const outcome = await post();
    assert.deepEqual({ ...outcome, durationMs: 0 }, { ok: true, statusCode: 204, errorKind: null, error: null, durationMs: 0, responseExcerpt: '' });
    assert.ok(outcome.durationMs >= 0 && outcome.durationMs < 2_000);
    const [seen] = receiver.requests;
    assert.equal(seen.method, 'POST');
    assert.equal(seen.path, RECEIVER_PATH);
    assert.equal(seen.body, body);
    assert.equal(seen.headers['webhook-id'], 'dlv_test');
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.headers['content-length'], String(Buffer.byteLength(body)));
  });

  it('reports a 500 as http_status with the response excerpt', async () => {
    receiver.setBehaviour({ kind: 'status', status: 500, body: 'database is down' });
    const outcome = await post();
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 500);
    assert.equal(outcome.errorKind, 'http_status');
    assert.equal(outcome.error, 'HTTP 500');
    assert.equal(outcome.responseExcerpt, 'database is down');
  });

  it('does not follow a redirect: a failed attempt naming the Location, one request seen', async () => {
    receiver.setBehaviour({ kind: 'redirect', location: '/elsewhere' });
    const outcome = await post();
    assert.equal(outcome.ok, false);
    assert.equal(outcome.statusCode, 302);
    assert.equal(outcome.errorKind, 'redirect');
    assert.match(outcome.error ?? '', /\/elsewhere/);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(
      receiver.requests.map((r) => r.path),
      [RECEIVER_PATH],
    );
  });

  it('times out a receiver that never answers', async () => {
    const quick = createHttpSender({ policy: createTargetPolicy({ allowedTargets: ['127.0.0.1'], allowHttp: true }), timeoutMs: 300 });
    try {
      receiver.setBehaviour({ kind: 'hang' });
      const outcome = await quick.send({ url: receiver.url, headers, body });
      assert.equal(outcome.ok, false);
      assert.equal(outcome.errorKind, 'timeout');
      assert.equal(outcome.statusCode, null);
      assert.ok(outcome.durationMs >= 290 && outcome.durationMs < 2_000, `took ${outcome.durationMs} ms`);
      assert.equal(receiver.requests.length, 1);
    } finally {
      await quick.close();
    }
  });

  it('treats a complete 2xx that arrives within the budget as success, even a slow one', async () => {
    receiver.setBehaviour({ kind: 'slow', ms: 200 });
    const outcome = await post();
    assert.equal(outcome.ok, true);
    assert.ok(outcome.durationMs >= 190, `took ${outcome.durationMs} ms`);
  });

  it('stops reading a response that streams forever, and keeps a 4 KiB excerpt', async () => {
    receiver.setBehaviour({ kind: 'stream-forever' });
    const outcome = await post();
    assert.equal(outcome.ok, true);
    assert.equal(outcome.statusCode, 200);
    assert.equal(outcome.responseExcerpt, 'x'.repeat(4096));
    assert.ok(outcome.durationMs < 1_500, `took ${outcome.durationMs} ms`);
  });

  it('keeps a 4 KiB excerpt of a huge body', async () => {
    receiver.setBehaviour({ kind: 'huge' });
    const outcome = await post();
    assert.equal(outcome.ok, true);
    assert.equal(Buffer.byteLength(outcome.responseExcerpt ?? ''), 4096);
  });

  it('honours smaller read limits, and never splits a UTF-8 character in the excerpt', async () => {
    const small = createHttpSender({ policy: createTargetPolicy({ allowedTargets: ['127.0.0.1'], allowHttp: true }), excerptBytes: 5 });
    try {
      receiver.setBehaviour({ kind: 'status', status: 400, body: 'abcdé and more' }); // é is 2 bytes: 5th and 6th
      const outcome = await small.send({ url: receiver.url, headers, body });
      assert.equal(outcome.responseExcerpt, 'abcd');
      receiver.setBehaviour({ kind: 'status', status: 400, body: 'a\0b' });
      assert.equal((await small.send({ url: receiver.url, headers, body })).responseExcerpt, 'a\uFFFDb', 'NUL would not fit a Postgres text column');
    } finally {
      await small.close();
    }
  });

  it('fails an attempt whose response is cut off mid-body', async () => {
    receiver.setBehaviour({ kind: 'close-mid-response' });
    const outcome = await post();
    assert.equal(outcome.ok, false);
    assert.equal(outcome.errorKind, 'network');
    assert.match(outcome.error ?? '', /closed|reset|aborted|terminated/i);
  });

  it('refuses a literal loopback address when it is not allowlisted, without opening a connection', async () => {
    const outcome = await guarded.send({ url: receiver.url, headers, body });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.errorKind, 'ssrf_blocked');
    assert.match(outcome.error ?? '', /127\.0\.0\.1.*loopback/);
    assert.equal(receiver.requests.length, 0);
  });

  it('refuses a name that resolves to loopback at connect time, without sending a request', async () => {
    const outcome = await guarded.send({ url: receiver.url.replace('127.0.0.1', 'localhost'), headers, body });
    assert.equal(outcome.errorKind, 'ssrf_blocked');
    assert.match(outcome.error ?? '', /localhost/);
    assert.equal(receiver.requests.length, 0);
  });

  it('checks the address the connection actually uses, whatever validation saw', async () => {
    // A name that passes checkUrl (it is not an IP) but resolves inside when the socket opens.
    const rebinding = createHttpSender({
      policy: createTargetPolicy({ allowedTargets: [], allowHttp: true, resolve: async () => [{ address: '127.0.0.1', family: 4 }] }),
    });
    try {
      const outcome = await rebinding.send({ url: `http://rebind.example:${receiver.port}/hook`, headers, body });
      assert.equal(outcome.errorKind, 'ssrf_blocked');
      assert.equal(receiver.requests.length, 0);
    } finally {
      await rebinding.close();
    }
  });

  it('connects to the very address the guarded lookup answered, resolving once: no separate pre-check to race', async () => {
    // rebind.example exists in no DNS: reaching the receiver proves the socket used the guard's
    // answer, and a single resolution means no earlier check whose answer could differ.
    const asked: string[] = [];
    const pinned = createHttpSender({
      policy: createTargetPolicy({
        allowedTargets: ['127.0.0.1'],
        allowHttp: true,
        resolve: async (h) => (asked.push(h), [{ address: '127.0.0.1', family: 4 }]),
      }),
    });
    try {
      const outcome = await pinned.send({ url: `http://rebind.example:${receiver.port}/hook`, headers, body });
      assert.equal(outcome.ok, true, outcome.error ?? '');
      assert.equal(receiver.requests.length, 1);
      assert.deepEqual(asked, ['rebind.example']);
    } finally {
      await pinned.close();
    }
  });

  it('reports a refused connection, an unknown host, a TLS failure and a bad URL by kind', async () => {
    const closed = await startReceiver();
    const closedUrl = closed.url;
    await closed.close();
    const refused = await post({ url: closedUrl });
    assert.equal(refused.errorKind, 'connect');
    assert.match(refused.error ?? '', /ECONNREFUSED/);

    const dnsFailing = createHttpSender({
      policy: createTargetPolicy({
        allowedTargets: [],
        allowHttp: true,
        resolve: async (h) => Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${h}`), { code: 'ENOTFOUND' })),
      }),
    });
    try {
      assert.equal((await dnsFailing.send({ url: 'http://nowhere.invalid/', headers, body })).errorKind, 'dns');
    } finally {
      await dnsFailing.close();
    }

    const tls = await post({ url: receiver.url.replace('http:', 'https:') }); // TLS handshake against a plain HTTP server
    assert.equal(tls.errorKind, 'tls');

    assert.equal((await post({ url: 'not a url' })).errorKind, 'invalid_url');
    assert.equal((await post({ url: 'ftp://127.0.0.1/' })).errorKind, 'invalid_url');
  });

  it('refuses plain http when configuration does not allow it', async () => {
    const httpsOnly = createHttpSender({ policy: createTargetPolicy({ allowedTargets: ['127.0.0.1'], allowHttp: false }) });
    try {
      const outcome = await httpsOnly.send({ url: receiver.url, headers, body });
      assert.equal(outcome.errorKind, 'invalid_url');
      assert.equal(receiver.requests.length, 0);
    } finally {
      await httpsOnly.close();
    }
  });

  it('stops when the caller aborts (activity cancelled), reported as cancelled', async () => {
    receiver.setBehaviour({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const outcome = await post({}, controller.signal);
    assert.deepEqual({ ok: outcome.ok, errorKind: outcome.errorKind, error: outcome.error }, { ok: false, errorKind: 'network', error: 'cancelled' });
    assert.ok(outcome.durationMs < 1_000, `took ${outcome.durationMs} ms`);
    assert.equal((await post({}, AbortSignal.abort())).error, 'cancelled', 'an already-aborted signal sends nothing');
    assert.equal(receiver.requests.length, 1);
  });

  it('never rejects, whatever the input', async () => {
    const outcome = await sender.send({ url: receiver.url, headers: { 'bad\nname': 'x' }, body });
    assert.equal(outcome.ok, false);
    assert.equal(typeof outcome.error, 'string');
  });

  it('keeps the connection alive between requests to one receiver', async () => {
    const pooled = createHttpSender({ policy: createTargetPolicy({ allowedTargets: ['127.0.0.1'], allowHttp: true }) });
    try {
      for (let i = 0; i < 3; i++) {
        assert.ok((await pooled.send({ url: receiver.url, headers, body })).ok);
        await new Promise((r) => setImmediate(r)); // undici returns the socket to the pool on the next tick
      }
      assert.equal(new Set(receiver.requests.map((r) => r.remotePort)).size, 1);
    } finally {
      await pooled.close();
    }
  });
});

/** A minimal CONNECT proxy on 127.0.0.1 that records which targets it was asked to reach. */
async function startConnectProxy(): Promise<{ url: string; targets: string[]; close(): Promise<void> }> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connection', track);
  server.on('connect', (req, client: Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client).pipe(upstream);
    });
    track(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    targets,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

describe('http sender through an egress proxy', () => {
  let receiver: Receiver;
  let proxy: Awaited<ReturnType<typeof startConnectProxy>>;
  before(async () => {
    receiver = await startReceiver();
    proxy = await startConnectProxy();
  });
  after(async () => {
    await receiver.close();
    await proxy.close();
  });

  it('sends through the proxy, whose own loopback address the guard does not judge', async () => {
    const sender = createHttpSender({ policy: createTargetPolicy({ allowedTargets: ['127.0.0.1'], allowHttp: true }), egressProxy: proxy.url });
    try {
      const outcome = await sender.send({ url: receiver.url, headers, body });
      assert.equal(outcome.ok, true, outcome.error ?? '');
      assert.deepEqual(proxy.targets, [`127.0.0.1:${receiver.port}`]);
      assert.equal(receiver.requests.at(-1)?.body, body);
    } finally {
      await sender.close();
    }
  });

  it('still refuses a target that resolves inside, before asking the proxy', async () => {
    const sender = createHttpSender({
      policy: createTargetPolicy({ allowedTargets: [], allowHttp: true, resolve: async () => [{ address: '10.0.0.7', family: 4 }] }),
      egressProxy: proxy.url,
    });
    try {
      const before = proxy.targets.length;
      const outcome = await sender.send({ url: 'http://internal.example/hook', headers, body });
      assert.equal(outcome.errorKind, 'ssrf_blocked');
      assert.match(outcome.error ?? '', /internal\.example \(10\.0\.0\.7\)/);
      assert.equal(proxy.targets.length, before);
      assert.equal((await sender.send({ url: receiver.url, headers, body })).errorKind, 'ssrf_blocked', 'a literal address too');
      assert.equal(proxy.targets.length, before);
    } finally {
      await sender.close();
    }
  });
});
