import type { EntityManager } from 'typeorm';
import { streamKey } from '../../domain/ordering';
import type { DeliveryStatus } from '../../domain/types';

/** What matching reads of an event, and where it stands in acceptance order. */
export interface OrderedEvent {
  id: string;
  tenantId: string;
  type: string;
  templateId: string | null;
  data: Record<string, unknown>;
  orderingKey: string | null;
  /** Null for events accepted before ordered delivery: they precede nothing. */
  acceptSeq: string | null;
}

/** A delivery to create for an event; `fifo` ones get the next sequence of their stream. */
export interface StreamDeliveryRow {
  id: string;
  subscriptionId: string;
  workflowId: string;
  fifo: boolean;
}

/** Whether a delivery may make its first attempt now. */
export type StreamTurn = { kind: 'turn' } | { kind: 'waiting'; headId: string } | { kind: 'cancelled'; reason: string };

/** A stream's head (its first delivery not ended) and how many wait behind it. */
export interface StreamHead {
  orderingKey: string;
  headId: string;
  headSequence: number;
  headStatus: DeliveryStatus;
  /** When the head got its turn; null while it has not asked yet. */
  since: Date | null;
  behind: number;
  lastSequence: number;
}

/**
 * The sequencer's state in Postgres (docs/architecture.md, *Ordered delivery*): the order
 * `fifo` deliveries are created in, each stream's head, and its release. Every ordered delivery
 * is created under a transaction-scoped advisory lock on (tenant, key), after the unmatched
 * events of that tenant and key accepted before it, so sequences follow acceptance order.
 */
export class StreamRepository {
  constructor(private readonly db: EntityManager) {}

  /**
   * Creates `event`'s deliveries, and first those of every earlier-accepted event of its tenant
   * and key still unmatched, in acceptance order; `match` says which deliveries an event gets.
   * A delivery's stream number is drawn only when its row is inserted (a repeat draws nothing):
   * no gaps. Marks each event matched, and `event`'s workflow started (the others' are the
   * outbox's to start, if no dispatcher has yet).
   */
  async fanOutInOrder(event: OrderedEvent, match: (e: OrderedEvent) => Promise<StreamDeliveryRow[]>, now: Date): Promise<void> {
    await this.db.transaction(async (tx) => {
      const key = streamKey(event.orderingKey);
      // A tenant id never holds '/', so `<tenant>/<key>` names one stream of the tenant (a hash collision only serialises two of them).
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 23))`, [`${event.tenantId}/${key}`]);
      const due: OrderedEvent[] = await tx.query(
        event.acceptSeq === null
          ? `SELECT id, tenant_id AS "tenantId", type, template_id AS "templateId", data, ordering_key AS "orderingKey", accept_seq AS "acceptSeq"
               FROM events WHERE id = $1 AND matched_at IS NULL`
          : `SELECT id, tenant_id AS "tenantId", type, template_id AS "templateId", data, ordering_key AS "orderingKey", accept_seq AS "acceptSeq"
               FROM events WHERE tenant_id = $1 AND coalesce(ordering_key, '') = $2 AND accept_seq <= $3 AND accept_seq IS NOT NULL AND matched_at IS NULL
              ORDER BY accept_seq`,
        event.acceptSeq === null ? [event.id] : [event.tenantId, key, event.acceptSeq],
      );
      for (const e of due) {
        for (const row of await match(e)) {
          const inserted: unknown[] = await tx.query(
            `INSERT INTO deliveries (id, event_id, subscription_id, tenant_id, event_type, template_id, status, workflow_id, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)
             ON CONFLICT (event_id, subscription_id) DO NOTHING RETURNING id`,
            [row.id, e.id, row.subscriptionId, e.tenantId, e.type, e.templateId, row.workflowId, now],
          );
          if (inserted.length === 0 || !row.fifo) continue;
          const [stream]: { last_sequence: string }[] = await tx.query(
            `INSERT INTO ordering_streams (subscription_id, ordering_key, last_sequence) VALUES ($1, $2, 1)
             ON CONFLICT (subscription_id, ordering_key) DO UPDATE SET last_sequence = ordering_streams.last_sequence + 1
             RETURNING last_sequence`,
            [row.subscriptionId, streamKey(e.orderingKey)],
          );
          await tx.query(`UPDATE deliveries SET ordering_key = $2, sequence = $3 WHERE id = $1`, [row.id, streamKey(e.orderingKey), stream.last_sequence]);
        }
        // Only the matching event's own workflow is known to run. An earlier one fanned out here
        // may still wait in the outbox: its workflow holds its delivery, so a dispatcher must
        // still start it (marked started here, its stream would wait for it forever).
        await tx.query(
          `UPDATE events SET matched = true, matched_at = $2, workflow_started_at = CASE WHEN id = $3 THEN coalesce(workflow_started_at, $2) ELSE workflow_started_at END
            WHERE id = $1`,
          [e.id, now, event.id],
        );
      }
    });
  }

  /**
   * May the delivery make its first attempt? Yes when no earlier delivery of its stream is still
   * to end (then its turn starts now, if it had not); a cancelled or deleted one ends instead.
   */
  async turn(deliveryId: string, now: Date): Promise<StreamTurn> {
    const [d]: { status: DeliveryStatus; subscription_id: string; ordering_key: string | null; sequence: string | null; last_error: string | null }[] =
      await this.db.query(`SELECT status, subscription_id, ordering_key, sequence, last_error FROM deliveries WHERE id = $1`, [deliveryId]);
    if (!d) return { kind: 'cancelled', reason: 'subscription deleted' };
    if (d.status === 'cancelled') return { kind: 'cancelled', reason: d.last_error ?? 'delivery cancelled' };
    if (d.sequence === null) return { kind: 'turn' };
    const [head]: { id: string }[] = await this.db.query(
      `SELECT id FROM deliveries WHERE subscription_id = $1 AND ordering_key = $2 AND sequence < $3 AND sequence IS NOT NULL AND released_at IS NULL
        ORDER BY sequence LIMIT 1`,
      [d.subscription_id, d.ordering_key, d.sequence],
    );
    if (head) return { kind: 'waiting', headId: head.id };
    await this.db.query(`UPDATE deliveries SET turn_at = coalesce(turn_at, $2) WHERE id = $1`, [deliveryId, now]);
    return { kind: 'turn' };
  }

  /**
   * The delivery ended: its stream moves on. Returns the stream's new head (its first delivery
   * not ended) with the workflow that holds it, to be woken; null when none waits.
   */
  async release(deliveryId: string, now: Date): Promise<{ deliveryId: string; workflowId: string } | null> {
    // An UPDATE answers [rows, count].
    const [[d]]: [{ subscription_id: string; ordering_key: string }[], number] = await this.db.query(
      `UPDATE deliveries SET released_at = coalesce(released_at, $2) WHERE id = $1 AND sequence IS NOT NULL RETURNING subscription_id, ordering_key`,
      [deliveryId, now],
    );
    if (!d) return null;
    const [next]: { id: string; workflow_id: string }[] = await this.db.query(
      `SELECT id, workflow_id FROM deliveries WHERE subscription_id = $1 AND ordering_key = $2 AND sequence IS NOT NULL AND released_at IS NULL
        ORDER BY sequence LIMIT 1`,
      [d.subscription_id, d.ordering_key],
    );
    return next ? { deliveryId: next.id, workflowId: next.workflow_id } : null;
  }

  /** The streams of a subscription with deliveries still to end, each one's head first; `orderingKey` narrows to one. */
  async heads(subscriptionId: string, filter: { orderingKey?: string; limit?: number } = {}): Promise<StreamHead[]> {
    const rows: {
      ordering_key: string;
      id: string;
      sequence: string;
      status: DeliveryStatus;
      turn_at: Date | null;
      behind: number;
      last_sequence: string;
    }[] = await this.db.query(
      `SELECT s.ordering_key, h.id, h.sequence, h.status, h.turn_at, s.behind, o.last_sequence
         FROM (SELECT ordering_key, min(sequence) AS head_sequence, count(*)::int - 1 AS behind
                 FROM deliveries WHERE subscription_id = $1 AND sequence IS NOT NULL AND released_at IS NULL AND ($2::text IS NULL OR ordering_key = $2)
                GROUP BY ordering_key) s
         JOIN deliveries h ON h.subscription_id = $1 AND h.ordering_key = s.ordering_key AND h.sequence = s.head_sequence
         JOIN ordering_streams o ON o.subscription_id = $1 AND o.ordering_key = s.ordering_key
        ORDER BY h.turn_at NULLS LAST, s.ordering_key LIMIT $3`,
      [subscriptionId, filter.orderingKey ?? null, filter.limit ?? 100],
    );
    return rows.map((r) => ({
      orderingKey: r.ordering_key,
      headId: r.id,
      headSequence: Number(r.sequence),
      headStatus: r.status,
      since: r.turn_at,
      behind: r.behind,
      lastSequence: Number(r.last_sequence),
    }));
  }
}
