/** Tenants: the platform's customers. Pure: no imports. */

/** The built-in tenant: what a subscription or event without `tenantId` belongs to. */
export const DEFAULT_TENANT_ID = 'default';

/** The platform's own identifier (e.g. a workspace id), so producers never map ids. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

export function isTenantId(value: string): boolean {
  return TENANT_ID_PATTERN.test(value);
}

/**
 * The operator's reserved tenant: its subscriptions receive the operational events
 * (`herald.*`) of every tenant, and nothing else; no producer posts events for it.
 */
export const OPERATOR_TENANT_ID = '_operator';

/**
 * A tenant's weight is its share under contention (docs/architecture.md, *Fairness*): at the
 * dispatcher's claim and as its fairness weight on Temporal's task queue. 1 to 100, default 1.
 */
export const DEFAULT_TENANT_WEIGHT = 1;
export const MIN_TENANT_WEIGHT = 1;
export const MAX_TENANT_WEIGHT = 100;
