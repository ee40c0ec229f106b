import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional } from 'class-validator';
import { ValidationFailed } from './errors';

/** The window when `since` is not given. */
export const DEFAULT_STATS_WINDOW_MS = 24 * 60 * 60 * 1000;

/** `?since=` of the stats routes (tenant and subscription). */
export class StatsQuery {
  @ApiPropertyOptional({ description: 'Start of the window (ISO 8601 instant, not in the future); default 24 hours ago', example: '2025-11-23T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}

/** The window's start: `since`, or 24 hours before `now`; a future one is 422 `invalid_time_range`. */
export function statsSince(since: string | undefined, now: Date): Date {
  if (since === undefined) return new Date(now.getTime() - DEFAULT_STATS_WINDOW_MS);
  const at = new Date(since);
  if (Number.isNaN(at.getTime())) throw new ValidationFailed('since is not a valid instant', { field: 'since' });
  if (at > now) throw new ValidationFailed('since must not be in the future', { field: 'since' }, 'invalid_time_range');
  return at;
}
