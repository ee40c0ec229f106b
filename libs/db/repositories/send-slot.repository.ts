import type { EntityManager } from 'typeorm';
import { slotSpacingMs } from '../../domain/throttle';

/** A send slot: when (Postgres's clock) and how far off from now. */
export interface SendSlot {
  at: string;
  waitMs: number;
}

/**
 * The next free send slot of each throttled subscription (libs/domain/throttle.ts). One row per
 * subscription, moved forward by one spacing per reservation in a single statement, so every
 * worker replica draws from the same sequence and each caller gets its own slot. Times are
 * Postgres's, so workers' clocks do not matter.
 */
export class SendSlotRepository {
  constructor(private readonly db: EntityManager) {}

  /** Takes the subscription's next free slot: now, or one spacing after the last one taken. */
  async reserve(subscriptionId: string, perSecond: number): Promise<SendSlot> {
    const [row]: { at: Date; wait_ms: number }[] = await this.db.query(
      `INSERT INTO subscription_send_slots AS s (subscription_id, next_at)
       VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
       ON CONFLICT (subscription_id) DO UPDATE
         SET next_at = greatest(s.next_at, clock_timestamp()) + $2 * interval '1 millisecond'
       RETURNING next_at - $2 * interval '1 millisecond' AS at,
                 extract(epoch FROM (next_at - $2 * interval '1 millisecond' - clock_timestamp())) * 1000 AS wait_ms`,
      [subscriptionId, slotSpacingMs(perSecond)],
    );
    return { at: row.at.toISOString(), waitMs: Number(row.wait_ms) };
  }

  /** How far off a slot taken earlier is now (negative: it has passed). */
  async waitFor(at: string): Promise<number> {
    const [row]: { wait_ms: number }[] = await this.db.query(`SELECT extract(epoch FROM ($1::timestamptz - clock_timestamp())) * 1000 AS wait_ms`, [at]);
    return Number(row.wait_ms);
  }
}
