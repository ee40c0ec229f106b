import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IngestAllowed, TenantAllowed } from '../common/auth';
import { CurrentPrincipal, type Principal } from '../common/principal';
import { WhoamiView } from './whoami.view';

@ApiTags('session')
@ApiBearerAuth()
@Controller('v1')
export class SessionController {
  /** The AuthGuard has already resolved the token to a principal; this only tells which one. */
  @Get('whoami')
  @IngestAllowed()
  @TenantAllowed()
  @ApiOperation({ summary: 'Who the presented token is: its kind, its tenant and when it expires' })
  @ApiOkResponse({ type: WhoamiView })
  whoami(@CurrentPrincipal() principal: Principal): WhoamiView {
    return principal.kind === 'tenant'
      ? { kind: 'tenant', tenantId: principal.tenantId, expiresAt: principal.expiresAt.toISOString() }
      : { kind: principal.kind, tenantId: null, expiresAt: null };
  }
}
