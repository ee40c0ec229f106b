import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '../../../../libs/config/config';
import { PORTAL_SESSION_DEFAULT_SECONDS, type PortalTokens } from '../common/portal-token';
import { CONFIG, PORTAL_TOKENS } from '../infrastructure/tokens';
import type { PortalSessionView } from './dto/portal-session.dto';
import { TenantsService } from './tenants.service';

/** The console serves the session at this path; the token travels in the URL fragment. */
export const CONSOLE_PATH = '/console/';

@Injectable()
export class PortalSessionsService {
  private readonly logger = new Logger('PortalSessionsService');

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(PORTAL_TOKENS) private readonly tokens: PortalTokens,
    @Inject(TenantsService) private readonly tenants: TenantsService,
  ) {}

  /** A signed, short-lived token for one tenant; nothing is stored, so it is shown only in this answer. */
  async create(tenantId: string, expiresIn = PORTAL_SESSION_DEFAULT_SECONDS): Promise<PortalSessionView> {
    const tenant = await this.tenants.find(tenantId);
    const issuedAt = new Date();
    const expiresAt = new Date(Math.floor(issuedAt.getTime() / 1000) * 1000 + expiresIn * 1000);
    const token = this.tokens.issue({ tenantId: tenant.id, tenantCreatedAt: tenant.createdAt.getTime(), issuedAt, expiresAt });
    this.logger.log(`tenant ${tenant.id}: portal session issued, valid until ${expiresAt.toISOString()}`);
    return { token, url: `${this.config.api.publicUrl}${CONSOLE_PATH}#token=${token}`, expiresAt };
  }
}
