import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';

/** `GET /v1/tenants/:id/stats?since=`. */
export class TenantStatsQuery {
  @ApiPropertyOptional({ description: 'Start of the window (ISO 8601 instant, not in the future); default 24 hours ago', example: '2025-11-23T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}
