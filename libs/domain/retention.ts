/**
 * How long the delivery log is kept. Pure. Events, deliveries and attempts older than
 * HERALD_RETENTION_DAYS are purged by the retention Schedule, in batches of PURGE_BATCH_SIZE
 * rows a statement (each its own short transaction, locked rows skipped); a delivery that is not
 * in a final status, and anything a retained dead letter refers to, is never purged.
 */
export const DEFAULT_RETENTION_DAYS = 30;
export const PURGE_BATCH_SIZE = 1000;
/** Batches one purge activity runs before handing back to its workflow, which calls it again. */
export const PURGE_BATCHES_PER_CALL = 50;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Rows from before this instant are past retention. */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}
