import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Latency figures over long windows (issue 24 item 4, at millions of attempts): one row per
 * subscription and hour with its attempts counted by outcome and its durations and 202 → first
 * success times as sparse latency histograms (libs/domain/latency-histogram.ts), filled by the
 * hourly stats rollup; `stats_rollup` holds how far it got. A month of a subscription is then
 * 720 small rows instead of every attempt and a join per success.
 */
export class AttemptStatsHourly1796401000000 implements MigrationInterface {
  name = 'AttemptStatsHourly1796401000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attempt_stats_hourly (
        subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
        hour timestamptz NOT NULL,
        attempts integer NOT NULL,
        succeeded integer NOT NULL,
        outcomes jsonb NOT NULL,
        duration_hist jsonb NOT NULL,
        first_successes integer NOT NULL,
        first_success_hist jsonb NOT NULL,
        PRIMARY KEY (subscription_id, hour)
      )`);
    await q.query(`CREATE INDEX attempt_stats_hourly_hour_idx ON attempt_stats_hourly (hour)`);
    await q.query(`CREATE TABLE stats_rollup (id smallint PRIMARY KEY CHECK (id = 1), rolled_until timestamptz NOT NULL)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stats_rollup`);
    await q.query(`DROP TABLE attempt_stats_hourly`);
  }
}
