import { DomainError, ServiceUnavailable } from './errors';
import { within } from './concurrency';

/** How long a request waits on Temporal before it answers 503 (the lazy client otherwise retries for a long while). */
export const TEMPORAL_CALL_TIMEOUT_MS = 5_000;

/**
 * Awaits a call to Temporal; any failure that is not already a domain error means Temporal
 * cannot serve the request right now, so the caller gets a retryable 503.
 */
export async function callTemporal<T>(call: Promise<T>, timeoutMs = TEMPORAL_CALL_TIMEOUT_MS): Promise<T> {
  try {
    return await within(timeoutMs, call, () => new Error(`Temporal gave no answer within ${timeoutMs} ms`));
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw new ServiceUnavailable('temporal', err);
  }
}
