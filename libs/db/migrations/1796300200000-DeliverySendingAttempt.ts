import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14 item 2: the event workflow makes first attempts itself, as local activities. A local
 * activity that was running when its worker died runs again on replay, so the number of the
 * attempt whose request is going out is committed here before the POST: a re-run that finds
 * it (and no Attempt row) knows the request may have left and must not send it again.
 * `workflow_id` now names the workflow holding the delivery, and one event workflow holds all
 * of its event's deliveries it made inline: it is no longer unique (nothing looks a delivery up by it).
 */
export class DeliverySendingAttempt1796300200000 implements MigrationInterface {
  name = 'DeliverySendingAttempt1796300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deliveries ADD COLUMN sending_attempt integer`);
    await q.query(`ALTER TABLE deliveries DROP CONSTRAINT deliveries_workflow_id_key`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE deliveries SET workflow_id = 'delivery:' || event_id || ':' || subscription_id`);
    await q.query(`ALTER TABLE deliveries ADD CONSTRAINT deliveries_workflow_id_key UNIQUE (workflow_id)`);
    await q.query(`ALTER TABLE deliveries DROP COLUMN sending_attempt`);
  }
}
