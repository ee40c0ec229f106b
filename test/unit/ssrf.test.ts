import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'node:test';
import { classifyAddress, createTargetPolicy, SsrfBlockedError, type Resolver, type TargetPolicy } from '../../libs/delivery/ssrf';

describe('classifyAddress', () => {
  const blocked: Array<[string, RegExp]> = [
    // IPv4
    ['127.0.0.1', /^loopback$/],
    ['127.255.255.254', /^loopback$/],
    ['0.0.0.0', /^unspecified/],
    ['0.1.2.3', /^unspecified/],
    ['10.0.0.1', /^private network/],
    ['10.255.255.255', /^private network/],
    ['172.16.0.1', /^private network/],
    ['172.31.255.255', /^private network/],
    ['192.168.1.1', /^private network/],
    ['169.254.0.1', /^link-local$/],
    ['169.254.169.254', /^cloud metadata/],
    ['100.100.100.200', /^cloud metadata/],
    ['100.64.0.1', /^carrier-grade NAT/],
    ['100.127.255.255', /^carrier-grade NAT/],
    ['224.0.0.1', /^multicast$/],
    ['239.255.255.250', /^multicast$/],
    ['240.0.0.1', /^reserved/],
    ['255.255.255.255', /^broadcast$/],
    ['198.18.0.1', /^benchmarking/],
    ['198.19.255.255', /^benchmarking/],
    ['192.0.0.8', /^IETF/],
    ['192.0.2.1', /^documentation/],
    ['198.51.100.7', /^documentation/],
    ['203.0.113.9', /^documentation/],
    // IPv6
    ['::1', /^loopback$/],
    ['0:0:0:0:0:0:0:1', /^loopback$/],
    ['::', /^unspecified/],
    ['fe80::1', /^link-local$/],
    ['febf:ffff::1', /^link-local$/],
    ['fe80::1%eth0', /^link-local$/],
    ['fc00::1', /^unique local/],
    ['fd12:3456:789a::1', /^unique local/],
    ['fd00:ec2::254', /^cloud metadata/],
    ['ff02::1', /^multicast$/],
    ['fec0::1', /^site-local/],
    ['2001:db8::1', /^documentation/],
    ['::7f00:1', /^IPv4-compatible/],
    // IPv6 that reaches an IPv4 address is judged by that address
    ['::ffff:127.0.0.1', /^loopback \(IPv4-mapped\)$/],
    ['::ffff:7f00:1', /^loopback \(IPv4-mapped\)$/],
    ['0:0:0:0:0:ffff:a9fe:a9fe', /^cloud metadata endpoint \(IPv4-mapped\)$/],
    ['::ffff:10.1.2.3', /^private network.*\(IPv4-mapped\)$/],
    ['::ffff:0:192.168.0.1', /^private network.*\(IPv4-translated\)$/],
    ['64:ff9b::127.0.0.1', /^loopback \(NAT64\)$/],
    ['64:ff9b::a9fe:a9fe', /^cloud metadata endpoint \(NAT64\)$/],
    ['2002:7f00:1::1', /^loopback \(6to4\)$/],
    ['2002:c0a8:101::', /^private network.*\(6to4\)$/],
  ];
  for (const [ip, reason] of blocked) {
    it(`blocks ${ip}`, () => assert.match(classifyAddress(ip) ?? 'allowed', reason));
  }

  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '9.255.255.255', // just below 10/8
    '11.0.0.0', // just above
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '169.253.255.255',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255', // last unicast before multicast
    '2606:4700:4700::1111',
    '2a00:1450:4001:82a::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808', // NAT64 to 8.8.8.8
    '2002:808:808::1', // 6to4 of 8.8.8.8
    'fbff:ffff::1', // just below fc00::/7
    'fe00::1', // between ULA and link-local
  ];
  for (const ip of allowed) {
    it(`allows ${ip}`, () => assert.equal(classifyAddress(ip), null));
  }

  it('refuses what is not an IP address', () => {
    for (const junk of ['', 'localhost', '127.0.0.1.nip.io', '256.0.0.1', '1.2.3', '::g']) assert.equal(classifyAddress(junk), 'not an IP address', junk);
  });
});

describe('checkUrl', () => {
  const strict = createTargetPolicy({ allowedTargets: [], allowHttp: false });
  const dev = createTargetPolicy({ allowedTargets: [], allowHttp: true });

  it('accepts a public https URL and hands back the parsed URL', () => {
    const result = strict.checkUrl('https://hooks.example.com/herald?x=1');
    assert.ok(result.ok);
    assert.equal(result.url.host, 'hooks.example.com');
    assert.ok(strict.checkUrl('https://93.184.216.34:8443/').ok);
    assert.ok(strict.checkUrl('https://[2606:4700:4700::1111]/').ok);
  });

  const refused: Array<[string, string, 'invalid_url' | 'ssrf_blocked', RegExp]> = [
    ['not a URL', 'hooks.example.com/x', 'invalid_url', /not a valid absolute URL/],
    ['ftp', 'ftp://hooks.example.com/', 'invalid_url', /unsupported scheme "ftp"/],
    ['file', 'file:///etc/passwd', 'invalid_url', /unsupported scheme "file"/],
    ['javascript', 'javascript:alert(1)', 'invalid_url', /unsupported scheme/],
    ['credentials', 'https://user:pass@hooks.example.com/', 'invalid_url', /credentials/],
    ['a user name alone', 'https://user@hooks.example.com/', 'invalid_url', /credentials/],
    ['loopback', 'https://127.0.0.1/', 'ssrf_blocked', /loopback/],
    ['decimal loopback', 'https://2130706433/', 'ssrf_blocked', /127\.0\.0\.1 .*loopback/],
    ['octal loopback', 'https://0177.0.0.1/', 'ssrf_blocked', /127\.0\.0\.1 .*loopback/],
    ['hex loopback', 'https://0x7f.0x0.0x0.0x1/', 'ssrf_blocked', /127\.0\.0\.1 .*loopback/],
    ['short loopback', 'https://127.1/', 'ssrf_blocked', /127\.0\.0\.1 .*loopback/],
    ['hex metadata', 'https://0xa9fea9fe/latest/meta-data/', 'ssrf_blocked', /169\.254\.169\.254 .*metadata/],
    ['trailing-dot loopback', 'https://127.0.0.1./', 'ssrf_blocked', /loopback/],
    ['IPv6 loopback', 'https://[::1]/', 'ssrf_blocked', /loopback/],
    ['mapped loopback', 'https://[::ffff:127.0.0.1]/', 'ssrf_blocked', /loopback \(IPv4-mapped\)/],
    ['unspecified', 'https://0.0.0.0:8080/', 'ssrf_blocked', /unspecified/],
    ['private', 'https://10.0.0.5/', 'ssrf_blocked', /private/],
    ['metadata', 'https://169.254.169.254/latest/meta-data/', 'ssrf_blocked', /metadata/],
  ];
  for (const [name, url, kind, reason] of refused) {
    it(`refuses ${name}: ${url}`, () => {
      const result = dev.checkUrl(url);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.kind, kind);
      assert.match(result.reason, reason);
    });
  }

  it('refuses plain http unless configuration allows it', () => {
    const result = strict.checkUrl('http://hooks.example.com/');
    assert.deepEqual(result, { ok: false, kind: 'invalid_url', reason: 'plain http is not allowed: use https' });
    assert.ok(dev.checkUrl('http://hooks.example.com/').ok);
  });

  it('leaves names to the connect-time check: it does not resolve them', () => {
    const noDns = createTargetPolicy({ allowedTargets: [], allowHttp: false, resolve: () => assert.fail('checkUrl must not resolve') });
    assert.ok(noDns.checkUrl('https://localhost/').ok);
  });
});

describe('allowed targets', () => {
  const policy = createTargetPolicy({ allowedTargets: ['127.0.0.1', ' 10.20.0.0/16 ', 'Receiver.Internal', 'fd00:1::/32', ''], allowHttp: true });

  it('exempt an exact IP, in either notation', () => {
    assert.ok(policy.checkUrl('http://127.0.0.1:3000/').ok);
    assert.ok(policy.checkUrl('http://2130706433:3000/').ok);
    assert.ok(policy.isAllowedAddress('::ffff:127.0.0.1'));
    assert.ok(!policy.isAllowedAddress('127.0.0.2'));
    assert.ok(!policy.checkUrl('http://[::1]:3000/').ok, '::1 is another address than 127.0.0.1');
  });

  it('exempt a CIDR range and nothing outside it', () => {
    assert.ok(policy.isAllowedAddress('10.20.0.1'));
    assert.ok(policy.isAllowedAddress('10.20.255.255'));
    assert.ok(!policy.isAllowedAddress('10.21.0.1'));
    assert.ok(!policy.isAllowedAddress('10.19.255.255'));
    assert.ok(policy.isAllowedAddress('fd00:1:abcd::1'));
    assert.ok(!policy.isAllowedAddress('fd00:2::1'));
  });

  it('exempt a hostname, case-insensitively and with a trailing dot, whatever it resolves to', () => {
    assert.ok(policy.isAllowedAddress('10.99.0.1', 'receiver.internal'));
    assert.ok(policy.isAllowedAddress('10.99.0.1', 'RECEIVER.internal.'));
    assert.ok(!policy.isAllowedAddress('10.99.0.1', 'other.internal'));
    assert.ok(!policy.isAllowedAddress('10.99.0.1'));
  });

  it('still allow every public address', () => {
    assert.ok(policy.isAllowedAddress('8.8.8.8', 'dns.google'));
    assert.ok(!policy.isAllowedAddress('not-an-ip', 'somewhere.example'));
  });

  it('refuse entries that are neither host, IP nor CIDR, naming the entry', () => {
    for (const bad of ['10.0.0.0/33', '::/129', '10.0.0.0/', '10.0.0.0/8/8', 'https://example.com', 'host:8080', 'a b']) {
      assert.throws(
        () => createTargetPolicy({ allowedTargets: [bad], allowHttp: false }),
        (err: Error) => err.message.includes(bad),
        bad,
      );
    }
  });
});

/** Calls `policy.lookup` like net.connect does and returns what its callback got. */
function lookup(
  policy: TargetPolicy,
  hostname: string,
  options: { family?: number; all?: boolean } = {},
): Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((resolve) => policy.lookup(hostname, options, (err, address, family) => resolve({ err, address, family })));
}

function scripted(answers: Record<string, Array<Array<{ address: string; family: number }>>>): { resolve: Resolver; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolve: async (host) => {
      calls.push(host);
      const queue = answers[host];
      if (!queue) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return queue.length > 1 ? queue.shift()! : queue[0];
    },
  };
}

describe('lookup (connect-time check)', () => {
  const v4 = (address: string) => ({ address, family: 4 });
  const v6 = (address: string) => ({ address, family: 6 });

  it('resolves a public name like dns.lookup does, single or all', async () => {
    const { resolve } = scripted({ 'hooks.example.com': [[v4('93.184.216.34'), v6('2606:2800:220:1::1')]] });
    const policy = createTargetPolicy({ allowedTargets: [], allowHttp: false, resolve });
    assert.deepEqual(await lookup(policy, 'hooks.example.com'), { err: null, address: '93.184.216.34', family: 4 });
    assert.deepEqual(await lookup(policy, 'hooks.example.com', { family: 6 }), { err: null, address: '2606:2800:220:1::1', family: 6 });
    const all = await lookup(policy, 'hooks.example.com', { all: true });
    assert.deepEqual(all.address, [v4('93.184.216.34'), v6('2606:2800:220:1::1')]);
  });

  it('refuses a name that resolves to a blocked address, with ERR_HERALD_SSRF', async () => {
    const { resolve } = scripted({ 'evil.example': [[v4('169.254.169.254')]] });
    const { err } = await lookup(createTargetPolicy({ allowedTargets: [], allowHttp: false, resolve }), 'evil.example');
    assert.ok(err instanceof SsrfBlockedError);
    assert.equal(err.code, 'ERR_HERALD_SSRF');
    assert.match(err.message, /evil\.example \(169\.254\.169\.254\): cloud metadata/);
  });

  it('refuses a name when any of its addresses is blocked, even one of another family', async () => {
    const { resolve } = scripted({ 'mixed.example': [[v4('93.184.216.34'), v6('::1')]] });
    const { err } = await lookup(createTargetPolicy({ allowedTargets: [], allowHttp: false, resolve }), 'mixed.example', { family: 4 });
    assert.equal(err?.code, 'ERR_HERALD_SSRF');
  });

  it('catches DNS rebinding: the address is checked on every connect, not once at validation', async () => {
    const { resolve, calls } = scripted({ 'rebind.example': [[v4('93.184.216.34')], [v4('127.0.0.1')]] });
    const policy = createTargetPolicy({ allowedTargets: [], allowHttp: false, resolve });
    assert.ok(policy.checkUrl('https://rebind.example/hook').ok, 'validation passes: the name is public');
    assert.equal((await lookup(policy, 'rebind.example')).err, null, 'first connect: public answer');
    const second = await lookup(policy, 'rebind.example');
    assert.equal(second.err?.code, 'ERR_HERALD_SSRF', 'second connect: the answer changed to loopback');
    assert.deepEqual(calls, ['rebind.example', 'rebind.example']);
  });

  it('lets an allowlisted name or address through', async () => {
    const { resolve } = scripted({ 'receiver.internal': [[v4('10.1.2.3')]], 'local.test': [[v4('127.0.0.1')]] });
    const policy = createTargetPolicy({ allowedTargets: ['receiver.internal', '127.0.0.1'], allowHttp: true, resolve });
    assert.deepEqual(await lookup(policy, 'receiver.internal'), { err: null, address: '10.1.2.3', family: 4 });
    assert.deepEqual(await lookup(policy, 'local.test'), { err: null, address: '127.0.0.1', family: 4 });
  });

  it('passes resolver errors through with their code, and reports an empty answer as ENOTFOUND', async () => {
    const { resolve } = scripted({ 'empty.example': [[]] });
    const policy = createTargetPolicy({ allowedTargets: [], allowHttp: false, resolve });
    assert.equal((await lookup(policy, 'missing.example')).err?.code, 'ENOTFOUND');
    assert.equal((await lookup(policy, 'empty.example')).err?.code, 'ENOTFOUND');
    await assert.rejects(policy.resolveTarget('missing.example'), { code: 'ENOTFOUND' });
  });

  it('uses the system resolver by default: localhost is loopback and refused', async () => {
    const policy = createTargetPolicy({ allowedTargets: [], allowHttp: true });
    assert.equal((await lookup(policy, 'localhost')).err?.code, 'ERR_HERALD_SSRF');
    await assert.rejects(policy.resolveTarget('localhost'), SsrfBlockedError);
  });
});
