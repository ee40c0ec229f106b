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
