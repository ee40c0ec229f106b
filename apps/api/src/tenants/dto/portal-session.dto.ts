import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { PORTAL_SESSION_DEFAULT_SECONDS, PORTAL_SESSION_MAX_SECONDS } from '../../common/portal-token';

/** `POST /v1/tenants/:id/portal-sessions`; the body is optional. */
export class CreatePortalSessionDto {
  @ApiPropertyOptional({
    description: 'Seconds the token is valid',
    minimum: 60,
    maximum: PORTAL_SESSION_MAX_SECONDS,
    default: PORTAL_SESSION_DEFAULT_SECONDS,
    example: 3600,
  })
  @IsOptional()
  @IsInt()
  @Min(60)
  @Max(PORTAL_SESSION_MAX_SECONDS)
  expiresIn?: number;
}

export class PortalSessionView {
  @ApiProperty({
    description: 'Bearer token for the /v1 API, limited to this tenant (`hpt_…`); not stored by Herald, shown only here',
    example: 'hpt_eyJ2IjoxLCJ0aWQiOiJ3c180ODIxIn0.3q2-7w',
  })
  token: string;

  @ApiProperty({
    description: 'The console, signed in as this tenant; the token rides in the fragment, which browsers never send to a server',
    example: 'https://herald.example.com/console/#token=hpt_eyJ2IjoxLCJ0aWQiOiJ3c180ODIxIn0.3q2-7w',
  })
  url: string;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T11:00:00.000Z' })
  expiresAt: Date;
}
