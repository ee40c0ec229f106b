import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '../../../../libs/config/config';
import type { Stores } from '../../../../libs/db/repositories';
import { CONFIG, PORTAL_TOKENS, STORES } from '../infrastructure/tokens';
import { Forbidden, RateLimited, Unauthenticated } from './errors';
import { PORTAL_TOKEN_PREFIX, type PortalTokens } from './portal-token';
import type { Principal, RequestWithPrincipal } from './principal';

export type Scope = 'admin' | 'ingest';

const PUBLIC = 'herald:public';
const INGEST = 'herald:ingest';
const TENANT = 'herald:tenant';

/** No token needed: the probes (they reveal only up/down) and nothing else. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);
/** The ingest-only token may use this route as well as the admin token. */
export const IngestAllowed = (): MethodDecorator & ClassDecorator => SetMetadata(INGEST, true);
/**
 * A tenant's portal session may use this route as well as the admin token; its service narrows
 * every query to that tenant (`tenantScope`). Routes without it are 403 for tenant tokens.
 */
export const TenantAllowed = (): MethodDecorator & ClassDecorator => SetMetadata(TENANT, true);

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Whether a presented token is the expected one, in time that depends on neither: both are
 * hashed to 32-byte SHA-256 digests first, so timingSafeEqual always compares equal lengths
 * and even the token's length does not leak.
 */
export function tokensEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Failed attempts per client address in a sliding window; past the limit, 429 until it cools down. */
class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  retryAfter(key: string, now: number): number | undefined {
    const recent = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    if (recent.length === 0) this.failures.delete(key);
    else this.failures.set(key, recent);
    return recent.length >= this.limit ? Math.ceil((recent[0] + this.windowMs - now) / 1000) : undefined;
  }

  fail(key: string, now: number): void {
    const list = this.failures.get(key) ?? [];
    list.push(now);
    this.failures.set(key, list);
    if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value as string);
  }
}

/**
 * Bearer tokens: the admin and ingest tokens from configuration, compared with `tokensEqual`, and
 * portal-session tokens (`hpt_…`, signed by this server for one tenant that still exists). The
 * guard puts the resolved Principal on the request. A valid token always passes:
 * the failure limiter only slows failing guesses. A client address that fails
 * `HERALD_AUTH_FAILURE_LIMIT` times within the window gets 429 with Retry-After instead of 401
 * for every further failing request until the window has passed, so a misconfigured poller or
 * a guesser backs off while the operator behind the same address keeps working.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly tokens: { token: string; scope: Scope }[];
  private readonly limiter: FailureLimiter;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly reflector: Reflector,
    @Inject(PORTAL_TOKENS) private readonly portalTokens: PortalTokens,
    @Inject(STORES) private readonly stores: Pick<Stores, 'tenants'>,
  ) {
    this.tokens = [{ token: config.api.adminToken, scope: 'admin' }];
    if (config.api.ingestToken) this.tokens.push({ token: config.api.ingestToken, scope: 'ingest' });
    this.limiter = new FailureLimiter(config.api.authFailures.limit, config.api.authFailures.windowMs);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<RequestWithPrincipal>();
    const principal = await this.principalOf(req.headers.authorization);
    if (!principal) {
      const client = req.ip ?? 'unknown';
      const now = Date.now();
      const wait = this.limiter.retryAfter(client, now);
      if (wait !== undefined) throw new RateLimited(wait);
      this.limiter.fail(client, now);
      throw new Unauthenticated();
    }
    req.principal = principal;
    if (principal.kind === 'ingest' && !this.reflector.getAllAndOverride<boolean>(INGEST, targets))
      throw new Forbidden('The ingest token may only post events');
    if (principal.kind === 'tenant' && !this.reflector.getAllAndOverride<boolean>(TENANT, targets))
      throw new Forbidden('A tenant session may not use this route');
    return true;
  }

  private async principalOf(header: string | undefined): Promise<Principal | undefined> {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return undefined;
    if (match[1].startsWith(PORTAL_TOKEN_PREFIX)) return this.tenantPrincipal(match[1]);
    const scope = this.scopeOf(match[1]);
    return scope && { kind: scope };
  }

  /** A portal session counts only while its tenant exists, and only the tenant it was issued for (not a re-created one). */
  private async tenantPrincipal(token: string): Promise<Principal | undefined> {
    const claims = this.portalTokens.verify(token, new Date());
    if (!claims) return undefined;
    const tenant = await this.stores.tenants.find(claims.tenantId);
    if (!tenant || tenant.createdAt.getTime() !== claims.tenantCreatedAt) return undefined;
    return { kind: 'tenant', tenantId: tenant.id, expiresAt: claims.expiresAt };
  }

  private scopeOf(token: string): Scope | undefined {
    // Every token is compared, so the time does not tell which one (if any) matched.
    let scope: Scope | undefined;
    for (const t of this.tokens) if (tokensEqual(token, t.token)) scope ??= t.scope;
    return scope;
  }
}
