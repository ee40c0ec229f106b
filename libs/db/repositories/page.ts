import { idFloor, type IdKind } from '../../domain/ids';

/** One page of a list: rows after the cursor row (an id; ids sort by creation time). */
export interface PageRequest {
  cursor?: string;
  limit: number;
}

/** Rows created in [since, until]; either end open. */
export interface CreatedRange {
  since?: Date;
  until?: Date;
}

/** Rows of one tenant; absent = every tenant's (the admin's view). */
export interface TenantScope {
  tenantId?: string;
}

/**
 * An id below every row of `kind` made since `since`, for `id >= …` beside the exact time
 * condition: ids sort by creation, so an index on `(…, id)` is read from the window's start
 * instead of from the beginning of history. An hour early: a row's id and its time column come
 * from two readings of the clock (a test send's attempt id is made just before it starts).
 */
export function windowFloor(kind: IdKind, since: Date): string {
  return idFloor(kind, new Date(since.getTime() - 60 * 60 * 1000));
}

/**
 * An id above every row of `kind` made until `until`, for `id < …` beside the exact time
 * condition: a time range far back is then read from its own end of the index instead of from
 * the newest row down. An hour late, for the same reason as windowFloor.
 */
export function windowCeiling(kind: IdKind, until: Date): string {
  return idFloor(kind, new Date(until.getTime() + 60 * 60 * 1000));
}

/** The rows a figure covers: one tenant's, or one subscription's, created (or started) since `since`. */
export type StatsWindow = ({ tenantId: string; subscriptionId?: undefined } | { subscriptionId: string; tenantId?: undefined }) & { since: Date };
