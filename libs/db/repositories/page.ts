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
