import { randomBytes } from 'node:crypto';

/** Prefixes of Herald's ids: an id in a log says what it is. */
export const ID_PREFIX = {
  subscription: 'sub',
  event: 'evt',
  delivery: 'dlv',
  attempt: 'atm',
  deadLetter: 'dlq',
} as const;
export type IdKind = keyof typeof ID_PREFIX;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

/** A ULID: 48-bit millisecond time + 80 random bits, monotonic within a millisecond, so ids sort by creation. */
export function ulid(now = Date.now()): string {
  let rnd: Uint8Array;
  if (now <= lastTime) {
    rnd = increment(lastRandom);
    now = lastTime;
  } else {
    rnd = randomBytes(10);
  }
  lastTime = now;
  lastRandom = rnd;
  const time = encodeTime(now);
  let bits = 0n;
  for (const b of rnd) bits = (bits << 8n) | BigInt(b);
  let random = '';
  for (let i = 0; i < 16; i++) {
    random = CROCKFORD[Number(bits & 31n)] + random;
    bits >>= 5n;
  }
  return time + random;
}

/** The 10-character time part of a ULID. */
function encodeTime(ms: number): string {
  let time = '';
  let t = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time;
}

function increment(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] < 255) {
      out[i]++;
      return out;
    }
    out[i] = 0;
  }
  return out;
}

export function newId(kind: IdKind): string {
  return `${ID_PREFIX[kind]}_${ulid()}`;
}

/**
 * The smallest id of that kind made at `time` or later: ids sort by creation, so `id >= idFloor(…)`
 * lets a query over a time window read an index on `(…, id)` from the window's start only.
 */
export function idFloor(kind: IdKind, time: Date): string {
  return `${ID_PREFIX[kind]}_${encodeTime(time.getTime())}${'0'.repeat(16)}`;
}

/** True when `value` looks like an id of that kind (prefix + 26 Crockford characters). */
export function isId(kind: IdKind, value: string): boolean {
  return new RegExp(`^${ID_PREFIX[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`).test(value);
}
