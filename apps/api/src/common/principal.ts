import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { TenantScope } from '../../../../libs/db/repositories';
import { Forbidden } from './errors';

/**
 * Who a request acts as, resolved by the AuthGuard from its bearer token: the admin (everything),
 * the ingest token (posts events), or one tenant through a portal session.
 */
export type Principal = { kind: 'admin' } | { kind: 'ingest' } | { kind: 'tenant'; tenantId: string; expiresAt: Date };

export type RequestWithPrincipal = Request & { principal?: Principal };

/** The request's principal (set by the AuthGuard) as a controller parameter. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<RequestWithPrincipal>().principal;
  if (!principal) throw new Error('no principal on the request: is the route @Public()?');
  return principal;
});

/**
 * The rows a request may see: a tenant token its own tenant's, whatever it asks; the admin every
 * tenant's, or the one it filters by. A tenant naming another tenant is refused the same way
 * whether that tenant exists or not (403), so tenant ids cannot be probed.
 */
export function tenantScope(principal: Principal, requested?: string): TenantScope {
  if (principal.kind !== 'tenant') return { tenantId: requested };
  if (requested !== undefined && requested !== principal.tenantId) throw new Forbidden('A tenant session may only use its own tenant');
  return { tenantId: principal.tenantId };
}
