/**
 * Ordered delivery (docs/architecture.md, *Ordered delivery*). Pure: workflows import it.
 *
 * A `fifo` subscription's deliveries are grouped in streams, one per ordering key of the event
 * (an event without one belongs to the subscription's single stream, key ''). In a stream each
 * delivery has a sequence, 1, 2, 3 …, drawn in the order its events were accepted, and it makes
 * its first attempt only once every delivery before it has ended (succeeded, dead-lettered or
 * cancelled): it is then the stream's head.
 */

export const MAX_ORDERING_KEY_LENGTH = 128;

/** The key of the stream an event joins at a `fifo` subscription. */
export function streamKey(orderingKey: string | null | undefined): string {
  return orderingKey ?? '';
}

/**
 * A delivery waiting for its turn is woken by the `streamTurn` signal of the delivery it waits
 * for, when that one ends; it also asks again this often, in case a wake-up was never sent.
 */
export const STREAM_RECHECK_MS = 60 * 60 * 1000;

/** A delivery's place in its stream, as the request carries it (`x-herald-ordering-key`, `x-herald-sequence`). */
export interface StreamPlace {
  key: string;
  sequence: number;
}
