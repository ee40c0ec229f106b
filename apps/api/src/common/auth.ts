import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Config } from '../../../../libs/config/config';
import { CONFIG } from '../infrastructure/tokens';
import { Forbidden, RateLimited, Unauthenticated } from './errors';

export type Scope = 'admin' | 'ingest';

const PUBLIC = 'herald:public';
const INGEST = 'herald:ingest';

/** No token needed (liveness only). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);
/** The ingest-only token may use this route as well as the admin token. */
export const IngestAllowed = (): MethodDecorator & ClassDecorator => SetMetadata(INGEST, true);

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Failed attempts per client address in a sliding minute; past the limit, 429 until it cools down. */
class FailureLimiter {
  private readonly failures = new Map<string, number[]>();
  constructor(private readonly limit: number, private readonly windowMs: number) {}

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
 * Bearer tokens from configuration. Compared as SHA-256 digests with timingSafeEqual, so
 * neither the length nor the content of a token leaks through timing.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly tokens: { digest: Buffer; scope: Scope }[];
  private readonly limiter = new FailureLimiter(20, 60_000);

  constructor(@Inject(CONFIG) config: Config, private readonly reflector: Reflector) {
    this.tokens = [{ digest: digest(config.api.adminToken), scope: 'admin' }];
    if (config.api.ingestToken) this.tokens.push({ digest: digest(config.api.ingestToken), scope: 'ingest' });
  }

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const client = req.ip ?? 'unknown';
    const now = Date.now();
    const wait = this.limiter.retryAfter(client, now);
    if (wait !== undefined) throw new RateLimited(wait);

    const scope = this.scopeOf(req.headers.authorization);
    if (!scope) {
      this.limiter.fail(client, now);
      throw new Unauthenticated();
    }
    if (scope === 'ingest' && !this.reflector.getAllAndOverride<boolean>(INGEST, targets)) throw new Forbidden('The ingest token may only post events');
    return true;
  }

  private scopeOf(header: string | undefined): Scope | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!match) return undefined;
    const presented = digest(match[1]);
    let scope: Scope | undefined;
    for (const t of this.tokens) if (timingSafeEqual(t.digest, presented)) scope ??= t.scope;
    return scope;
  }
}
