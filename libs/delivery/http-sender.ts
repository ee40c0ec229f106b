import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import type { AttemptErrorKind } from '../domain/types';
import type { TargetPolicy } from './ssrf';

/**
 * Stage "send" of an attempt: one POST, and whatever happens comes back as a SendOutcome. The
 * sender never throws: a refused, failed or timed-out request is the attempt's result, recorded
 * like a success, and must not turn into an exception that Temporal would retry on its own.
 */

export interface OutgoingRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface SendOutcome {
  ok: boolean;
  statusCode: number | null;
  errorKind: AttemptErrorKind | null;
  error: string | null;
  durationMs: number;
  /** The first bytes of the response body as text; null when no response arrived. */
  responseExcerpt: string | null;
}

export interface HttpSender {
  /**
   * POSTs the request. `signal` is the caller's cancellation (the activity's); when it fires the
   * outcome is `network` / `cancelled`, and the caller can tell that case apart by its own signal.
   */
  send(req: OutgoingRequest, signal?: AbortSignal): Promise<SendOutcome>;
  /** Closes pooled connections once in-flight requests are done. */
  close(): Promise<void>;
}

export interface HttpSenderOptions {
  policy: TargetPolicy;
  /** `HERALD_EGRESS_PROXY`: every request leaves through this proxy (one static IP to allowlist). */
  egressProxy?: string;
  /** Total budget of one attempt: connect, response and body. */
  timeoutMs?: number;
  /** Read at most this much of a response; beyond it the connection is dropped. */
  maxResponseBytes?: number;
  /** Keep this much of the body as the Attempt's excerpt. */
  excerptBytes?: number;
}

export function createHttpSender({
  policy,
  egressProxy,
  timeoutMs = 30_000,
  maxResponseBytes = 64 * 1024,
  excerptBytes = 4 * 1024,
}: HttpSenderOptions): HttpSender {
  // A keep-alive pool per origin. Redirects are never followed: undici 7 follows them only through
  // its redirect interceptor, which is not installed. The connect timeout, shorter than the total
  // budget, tells an unreachable host (`connect`) from a slow receiver (`timeout`).
  //
  // Through an egress proxy the SSRF lookup is not installed: it would judge the proxy's own,
  // usually private, address. The target is checked in send() instead (see the trade-off there).
  const connectTimeout = Math.min(10_000, timeoutMs);
  const dispatcher: Dispatcher = egressProxy
    ? new ProxyAgent({ uri: egressProxy })
    : new Agent({ connect: { lookup: policy.lookup, timeout: connectTimeout } });

  async function send(req: OutgoingRequest, signal?: AbortSignal): Promise<SendOutcome> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const failure = (errorKind: AttemptErrorKind, error: string, statusCode: number | null = null, responseExcerpt: string | null = null): SendOutcome => ({
      ok: false,
      statusCode,
      errorKind,
      error,
      durationMs: elapsed(),
      responseExcerpt,
    });

    const checked = policy.checkUrl(req.url);
    if (!checked.ok) return failure(checked.kind, checked.reason); // refused before any socket is opened
    if (signal?.aborted) return failure('network', 'cancelled');

    // One controller for both ends of the budget, so we know which one fired, and the caller's
    // listener is removed when we are done (AbortSignal.any would keep it until the caller's
    // signal is collected).
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onCallerAbort = () => controller.abort();
    signal?.addEventListener('abort', onCallerAbort, { once: true });
    const interrupted = (): SendOutcome | undefined => {
      if (timedOut) return failure('timeout', `no complete response within ${timeoutMs} ms`);
      if (signal?.aborted) return failure('network', 'cancelled');
      return undefined;
    };

    let statusCode: number | null = null;
    const excerpt = new Excerpt(excerptBytes);
    try {
      const hostname = checked.url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (egressProxy && !isIP(hostname)) {
        // Trade-off: the proxy resolves the name again when it connects, so an answer that
        // changes between this check and its lookup (DNS rebinding) gets through. The proxy must
        // refuse internal ranges itself, as Stripe's Smokescreen does; this check still stops
        // every name that plainly points inside, and costs one extra resolution per attempt.
        await untilAborted(policy.resolveTarget(hostname), controller.signal);
      }

      const res = await request(checked.url, {
        dispatcher,
        method: 'POST',
        headers: req.headers,
        body: req.body,
        signal: controller.signal,
      });
      statusCode = res.statusCode;

      // Drain up to maxResponseBytes so a small body leaves the connection reusable; past that,
      // stop and drop the connection, so a receiver that streams forever costs 64 KiB, not memory.
      let read = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        excerpt.add(chunk);
        read += chunk.length;
        if (read >= maxResponseBytes) break; // leaving the loop destroys the body and its socket
      }

      if (statusCode >= 200 && statusCode < 300) {
        return { ok: true, statusCode, errorKind: null, error: null, durationMs: elapsed(), responseExcerpt: excerpt.text() };
      }
      if (statusCode >= 300 && statusCode < 400) {
        const location = firstHeader(res.headers.location);
        return failure(
          'redirect',
          location ? `HTTP ${statusCode} redirect to ${location} (redirects are not followed)` : `HTTP ${statusCode} (redirects are not followed)`,
          statusCode,
          excerpt.text(),
        );
      }
      return failure('http_status', `HTTP ${statusCode}`, statusCode, excerpt.text());
    } catch (err) {
      // A failure after the status line (body cut off, or the budget ran out while reading)
      // keeps the status and what arrived: it helps whoever reads the Attempt.
      const partial = statusCode === null ? null : excerpt.text();
      const stopped = interrupted();
      if (stopped) return { ...stopped, statusCode, responseExcerpt: partial };
      const { kind, message } = classifyError(err);
      return failure(kind, statusCode === null ? message : `response interrupted after HTTP ${statusCode}: ${message}`, statusCode, partial);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  return {
    send: (req, signal) =>
      // Belt and braces for the invariant: even a bug above becomes an outcome, not a rejection.
      send(req, signal).catch((err: unknown) => ({
        ok: false,
        statusCode: null,
        errorKind: 'network' as const,
        error: `unexpected sender failure: ${describe(err)}`,
        durationMs: 0,
        responseExcerpt: null,
      })),
    close: () => dispatcher.close(),
  };
}

/** DNS resolution ignores abort signals; the attempt's budget must not. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Keeps the first `limit` bytes and decodes them as UTF-8 without splitting a character. */
class Excerpt {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    if (this.kept >= this.limit) return;
    const piece = chunk.subarray(0, this.limit - this.kept);
    this.chunks.push(piece);
    this.kept += piece.length;
  }

  text(): string {
    // write() holds back an incomplete trailing character instead of emitting U+FFFD; NUL is
    // replaced because Postgres text columns refuse it, and the Attempt row must be writable.
    return new StringDecoder('utf8').write(Buffer.concat(this.chunks)).replace(/\0/g, '\uFFFD');
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA', 'ENODATA', 'ESERVFAIL', 'ENOTIMP', 'EREFUSED']);
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

/** Maps what Node, undici and the SSRF guard throw to an AttemptErrorKind. Codes hide in `cause` and AggregateError. */
export function classifyError(err: unknown): { kind: AttemptErrorKind; message: string } {
  for (const e of errorChain(err)) {
    const code = typeof e.code === 'string' ? e.code : '';
    const message = e.message || code || 'request failed';
    if (code === 'ERR_HERALD_SSRF') return { kind: 'ssrf_blocked', message };
    if (code === 'ERR_INVALID_URL' || code === 'ERR_INVALID_URL_SCHEME') return { kind: 'invalid_url', message };
    if (DNS_CODES.has(code)) return { kind: 'dns', message };
    if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return { kind: 'tls', message };
    if (CONNECT_CODES.has(code)) return { kind: 'connect', message };
    if (TIMEOUT_CODES.has(code)) return { kind: 'timeout', message };
  }
  return { kind: 'network', message: describe(err) };
}

function* errorChain(err: unknown, depth = 0): Generator<{ code?: unknown; message?: string }> {
  if (!err || typeof err !== 'object' || depth > 5) return;
  const e = err as { code?: unknown; message?: string; cause?: unknown; errors?: unknown };
  yield e;
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* errorChain(inner, depth + 1);
  yield* errorChain(e.cause, depth + 1);
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return err.message || code || err.name;
  }
  return String(err);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
