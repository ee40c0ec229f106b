/**
 * Group commit: each call resolves with its own result, but calls that come in while a write is
 * under way (or in the same turn of the event loop) are written together, in the next one. A
 * slow caller never holds the others' writes. Used where many small writes arrive together: the
 * attempts answered together in attemptDeliveries (activities/attempt-deliveries.ts) and the
 * events posted together to the API (EventsService, one multi-row INSERT per write).
 *
 * `maxBatch` bounds one write (its statement's size); what is left waits for the next write.
 */
export function groupCommit<T, R>(write: (items: T[]) => Promise<R[]>, opts: { maxBatch?: number } = {}): (item: T) => Promise<R> {
  const max = opts.maxBatch ?? Infinity;
  let waiting: { item: T; resolve(r: R): void; reject(err: unknown): void }[] = [];
  let writing = false;
  const drain = async (): Promise<void> => {
    writing = true;
    // Calls that come in the same turn of the event loop join the first write.
    await new Promise((resolve) => setImmediate(resolve));
    while (waiting.length > 0) {
      const batch = waiting.length > max ? waiting.splice(0, max) : waiting;
      if (batch === waiting) waiting = [];
      try {
        const results = await write(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results[i]));
      } catch (err) {
        batch.forEach((w) => w.reject(err));
      }
    }
    writing = false;
  };
  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      if (!writing) void drain();
    });
}
