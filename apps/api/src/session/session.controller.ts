import { Controller, Get, Inject, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Config } from '../../../../libs/config/config';
import { IngestAllowed, tokensEqual } from '../common/auth';
import { CONFIG } from '../infrastructure/tokens';
import { WhoamiView } from './whoami.view';

@ApiTags('session')
@ApiBearerAuth()
@Controller('v1')
export class SessionController {
  constructor(@Inject(CONFIG) private readonly config: Config) {}

  /**
   * The AuthGuard has already admitted the token (admin or ingest); this only tells which one.
   * Both are compared, as the guard does, so the answer's timing does not tell them apart.
   */
  @Get('whoami')
  @IngestAllowed()
  @ApiOperation({ summary: 'Who the presented token is: its kind, its tenant and when it expires' })
  @ApiOkResponse({ type: WhoamiView })
  whoami(@Req() req: Request): WhoamiView {
    // From the request, not a @Headers() parameter: the OpenAPI document keeps it as bearer auth only.
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    const admin = tokensEqual(token, this.config.api.adminToken);
    const ingest = this.config.api.ingestToken !== undefined && tokensEqual(token, this.config.api.ingestToken);
    return { kind: ingest && !admin ? 'ingest' : 'admin', tenantId: null, expiresAt: null };
  }
}
