import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP, isIPv4, type LookupFunction } from 'node:net';

/**
 * The SSRF guard: a subscription URL is customer input, and Herald's workers sit inside a
 * network with databases, metadata endpoints and admin ports. Two checks, both needed:
 *
 * - `checkUrl` refuses bad schemes, credentials and literal internal IPs before anything
 *   connects (and lets the API reject them with a 422 at create time);
 * - `lookup` is handed to the HTTP client as its resolver, so the address checked is the address
 *   connected to. Checking a name once at validation time and connecting later would let a
 *   DNS answer that changes in between (rebinding) reach an internal address.
 */

// ---------------------------------------------------------------------------------------------
// Address classification

interface Range {
  family: 4 | 6;
  network: bigint;
  prefix: number;
}

/** A range refused outright, or one whose addresses only wrap an IPv4 address (mapped, NAT64, 6to4). */
type Rule = { range: Range; reason: string } | { range: Range; via: string; embedded: (v6: bigint) => bigint };

const low32 = (v6: bigint) => v6 & 0xffffffffn;
/** 2002:AABB:CCDD::/48 carries the IPv4 address AA.BB.CC.DD in bits 16..48. */
const sixToFour = (v6: bigint) => (v6 >> 80n) & 0xffffffffn;

const rule = (cidr: string, reason: string): Rule => ({ range: parseCidr(cidr), reason });
const wraps = (cidr: string, via: string, embedded: (v6: bigint) => bigint): Rule => ({ range: parseCidr(cidr), via, embedded });

const IPV4_MAPPED = wraps('::ffff:0:0/96', 'IPv4-mapped', low32);

/** First match wins, so the narrow ranges (metadata endpoints) come before the ranges that contain them. */
const IPV4_RULES: readonly Rule[] = [
  rule('169.254.169.254/32', 'cloud metadata endpoint'),
  rule('100.100.100.200/32', 'cloud metadata endpoint'),
  rule('0.0.0.0/8', 'unspecified address'),
  rule('10.0.0.0/8', 'private network (RFC 1918)'),
  rule('100.64.0.0/10', 'carrier-grade NAT (RFC 6598)'),
  rule('127.0.0.0/8', 'loopback'),
  rule('169.254.0.0/16', 'link-local'),
  rule('172.16.0.0/12', 'private network (RFC 1918)'),
  rule('192.0.0.0/24', 'IETF protocol assignments'),
  rule('192.0.2.0/24', 'documentation range'),
  rule('192.88.99.0/24', '6to4 relay anycast'),
  rule('192.168.0.0/16', 'private network (RFC 1918)'),
  rule('198.18.0.0/15', 'benchmarking range'),
  rule('198.51.100.0/24', 'documentation range'),
  rule('203.0.113.0/24', 'documentation range'),
  rule('224.0.0.0/4', 'multicast'),
  rule('255.255.255.255/32', 'broadcast'),
  rule('240.0.0.0/4', 'reserved (240/4)'),
];

const IPV6_RULES: readonly Rule[] = [
  rule('::/128', 'unspecified address'),
  rule('::1/128', 'loopback'),
  IPV4_MAPPED,
  wraps('::ffff:0:0:0/96', 'IPv4-translated', low32),
  wraps('64:ff9b::/96', 'NAT64', low32),
  rule('64:ff9b:1::/48', 'local-use NAT64 (RFC 8215)'),
  rule('::/96', 'IPv4-compatible (deprecated)'),
  rule('100::/64', 'discard-only'),
  rule('2001::/32', 'Teredo tunnelling'),
  rule('2001:db8::/32', 'documentation range'),
  wraps('2002::/16', '6to4', sixToFour),
  rule('fd00:ec2::254/128', 'cloud metadata endpoint'),
  rule('fc00::/7', 'unique local address (IPv6 private)'),
  rule('fe80::/10', 'link-local'),
  rule('fec0::/10', 'site-local (deprecated)'),
  rule('ff00::/8', 'multicast'),
];

/**
 * Why Herald must not connect to `ip`, or null when it is a public address. An IPv6 address that
 * only wraps an IPv4 address (mapped `::ffff:a.b.c.d` in either notation, NAT64, 6to4) is judged
 * by the IPv4 address it reaches. Anything that is not an IP address is refused.
 */
export function classifyAddress(ip: string): string | null {
  const parsed = parseIp(ip);
  if (!parsed) return 'not an IP address';
  return classify(parsed);
}

function classify(addr: Range): string | null {
  const rules = addr.family === 4 ? IPV4_RULES : IPV6_RULES;
  for (const r of rules) {
    if (!contains(r.range, addr)) continue;
    if ('reason' in r) return r.reason;
    const inner = classify({ family: 4, network: r.embedded(addr.network), prefix: 32 });
    return inner && `${inner} (${r.via})`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// IP and CIDR parsing, as exact integers

function parseIp(input: string): Range | undefined {
  const ip = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const family = isIP(ip);
  if (family === 4) return { family, network: ipv4ToBigInt(ip), prefix: 32 };
  if (family === 6) return { family, network: ipv6ToBigInt(ip), prefix: 128 };
  return undefined;
}

function parseCidr(cidr: string): Range {
  const [address, prefixText, extra] = cidr.split('/');
  const ip = parseIp(address);
  const bits = ip?.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!ip || extra !== undefined || !(prefix <= bits)) throw new TypeError(`"${cidr}" is not an IP address or CIDR range`);
  // Host bits are dropped, so 10.1.2.3/8 means 10.0.0.0/8, as `ip route` reads it.
  return { family: ip.family, network: ip.network & mask(ip.family, prefix), prefix };
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BigInt(family === 4 ? 32 : 128);
  const all = (1n << bits) - 1n;
  return (all << (bits - BigInt(prefix))) & all;
}

function contains(range: Range, addr: Range): boolean {
  return range.family === addr.family && (addr.network & mask(range.family, range.prefix)) === range.network;
}

function ipv4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** Expects a string `isIPv6` accepted: `::` compression, an optional dotted-quad tail, an optional zone. */
function ipv6ToBigInt(input: string): bigint {
  let ip = input.split('%')[0];
  const lastColon = ip.lastIndexOf(':');
  const tail = ip.slice(lastColon + 1);
  if (isIPv4(tail)) {
    const v4 = ipv4ToBigInt(tail);
    ip = `${ip.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An IPv4-mapped IPv6 address is the same host as its IPv4 address, for the allowlist too. */
function unmap(range: Range): Range {
  if (range.prefix < 96 || !contains(IPV4_MAPPED.range, range)) return range;
  return { family: 4, network: range.network & 0xffffffffn, prefix: range.prefix - 96 };
}

// ---------------------------------------------------------------------------------------------
// The policy

export type UrlCheck = { ok: true; url: URL } | { ok: false; kind: 'invalid_url' | 'ssrf_blocked'; reason: string };

/** What a connect-time refusal looks like to the HTTP client; the sender maps the code to `ssrf_blocked`. */
export class SsrfBlockedError extends Error {
  readonly code = 'ERR_HERALD_SSRF';
  constructor(
    readonly hostname: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(hostname === address ? `refused to connect to ${address}: ${reason}` : `refused to connect to ${hostname} (${address}): ${reason}`);
    this.name = 'SsrfBlockedError';
  }
}

export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export interface TargetPolicyOptions {
  /** Hostnames, IP addresses or CIDR ranges exempt from the guard (`HERALD_ALLOWED_TARGETS`). */
  allowedTargets: readonly string[];
  /** Allow plain `http://` (`HERALD_ALLOW_HTTP`); https only otherwise. */
  allowHttp: boolean;
  /** Name resolution; the system resolver (`dns.lookup`, so /etc/hosts applies) by default. Tests inject their own. */
  resolve?: Resolver;
}

export interface TargetPolicy {
  checkUrl(url: string): UrlCheck;
  /** May Herald connect to `ip`, reached through the name `hostname`? */
  isAllowedAddress(ip: string, hostname?: string): boolean;
  /** Resolves `hostname` and rejects with SsrfBlockedError if any of its addresses is refused. */
  resolveTarget(hostname: string): Promise<LookupAddress[]>;
  /** `dns.lookup`-compatible, for undici's `connect.lookup`: the check happens at connect time. */
  lookup: LookupFunction;
}

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true });

export function createTargetPolicy(options: TargetPolicyOptions): TargetPolicy {
  const allowedRanges: Range[] = [];
  const allowedHosts = new Set<string>();
  for (const raw of options.allowedTargets) {
    const entry = raw.trim();
    if (!entry) continue;
    if (entry.includes('/') || isIP(entry)) {
      allowedRanges.push(unmap(parseCidr(entry)));
    } else if (/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?\.?$/i.test(entry)) {
      allowedHosts.add(normaliseHost(entry));
    } else {
      throw new TypeError(`allowed target "${entry}" is not a hostname, IP address or CIDR range (ports and schemes are not part of it)`);
    }
  }
  const resolve = options.resolve ?? systemResolver;

  function isAllowedAddress(ip: string, hostname?: string): boolean {
    if (hostname !== undefined && allowedHosts.has(normaliseHost(hostname))) return true;
    const addr = parseIp(ip);
    if (!addr) return false;
    const plain = unmap(addr);
    if (allowedRanges.some((r) => contains(r, plain))) return true;
    return classify(addr) === null;
  }

  function checkUrl(input: string): UrlCheck {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return { ok: false, kind: 'invalid_url', reason: 'not a valid absolute URL' };
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return { ok: false, kind: 'invalid_url', reason: `unsupported scheme "${url.protocol.slice(0, -1)}": use https` };
    }
    if (url.protocol === 'http:' && !options.allowHttp) {
      return { ok: false, kind: 'invalid_url', reason: 'plain http is not allowed: use https' };
    }
    // They would travel as basic auth and sit in logs and the Temporal UI; custom headers carry credentials instead.
    if (url.username || url.password) {
      return { ok: false, kind: 'invalid_url', reason: 'credentials in the URL are not allowed: use a custom header' };
    }
    if (!url.hostname) return { ok: false, kind: 'invalid_url', reason: 'the URL has no host' };
    // WHATWG parsing has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1.
    const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(literal) && !isAllowedAddress(literal)) {
      return { ok: false, kind: 'ssrf_blocked', reason: `${literal} is not a public address: ${classifyAddress(literal) ?? 'refused'}` };
    }
    return { ok: true, url };
  }

  async function resolveTarget(hostname: string): Promise<LookupAddress[]> {
    const addresses = (await resolve(hostname)).map(({ address, family }) => ({ address, family }));
    if (addresses.length === 0) throw Object.assign(new Error(`no address found for ${hostname}`), { code: 'ENOTFOUND', hostname });
    // Every address, not just the one connected to: a name that points at an internal address at all is refused.
    for (const { address } of addresses) {
      if (!isAllowedAddress(address, hostname)) throw new SsrfBlockedError(hostname, address, classifyAddress(address) ?? 'refused');
    }
    return addresses;
  }

  const lookup: LookupFunction = (hostname, lookupOptions: LookupOptions, callback) => {
    const wanted = familyOf(lookupOptions?.family);
    resolveTarget(hostname).then(
      (all) => {
        const matching = wanted ? all.filter((a) => a.family === wanted) : all;
        // Called outside the promise chain, as dns.lookup does, so a throwing callback is not swallowed.
        if (matching.length === 0) {
          const err = Object.assign(new Error(`no IPv${wanted} address found for ${hostname}`), { code: 'ENOTFOUND', hostname });
          process.nextTick(callback, err, '', 0);
        } else if (lookupOptions?.all) {
          process.nextTick(callback, null, matching);
        } else {
          process.nextTick(callback, null, matching[0].address, matching[0].family);
        }
      },
      (err: NodeJS.ErrnoException) => process.nextTick(callback, err, '', 0),
    );
  };

  return { checkUrl, isAllowedAddress, resolveTarget, lookup };
}

function normaliseHost(hostname: string): string {
  return hostname.toLowerCase().replace(/\.$/, '');
}

function familyOf(family: LookupOptions['family']): 4 | 6 | undefined {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return undefined;
}
