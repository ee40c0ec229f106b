import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stats rollup's second level (issue 22, a tenant's month in ≤ 500 ms): one row per
 * subscription and UTC day, the sum of that day's attempt_stats_hourly rows, written by the same
 * rollup step once the day is complete. A month of a subscription is 30 rows instead of 720; the
 * latency of a window read in daily buckets comes from them (AttemptRepository.latency).
 */
export class AttemptStatsDaily1796401100000 implements MigrationInterface {
  name = 'AttemptStatsDaily1796401100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE attempt_stats_daily (
        subscription_id text NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
        day timestamptz NOT NULL,
        attempts integer NOT NULL,
        succeeded integer NOT NULL,
        outcomes jsonb NOT NULL,
        duration_hist jsonb NOT NULL,
        first_successes integer NOT NULL,
        first_success_hist jsonb NOT NULL,
        PRIMARY KEY (subscription_id, day)
      )`);
    await q.query(`CREATE INDEX attempt_stats_daily_day_idx ON attempt_stats_daily (day)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE attempt_stats_daily`);
  }
}
