import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsISO8601, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { isId, type IdKind } from '../../../../libs/domain/ids';
import { isTenantId } from '../../../../libs/domain/tenants';
import { InvalidCursor, ValidationFailed } from './errors';

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 100;

/** `?cursor=&limit=` of every list. Lists page by id: ULIDs sort by creation time. */
export class PageQuery {
  @ApiPropertyOptional({ description: "Opaque cursor: the previous page's `nextCursor`", example: 'c3ViXzAxSkQ3WDhNNVE0UjJaM1RSM1YxOUg2WDdL' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ description: 'Page size', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, example: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;
}

/** `?since=&until=` (ISO 8601 instants, inclusive) on top of the page parameters. */
export class TimeRangePageQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only rows created at or after this instant (ISO 8601)', example: '2025-11-23T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ description: 'Only rows created at or before this instant (ISO 8601)', example: '2025-11-24T00:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class PageMeta {
  @ApiProperty({ description: 'Pass as `cursor` for the next page; null on the last page', nullable: true, type: String, example: null })
  nextCursor: string | null;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** The id a cursor stands for; a cursor of another list or a made-up one is `invalid_cursor`. */
export function decodeCursor(kind: IdKind, cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!isId(kind, id)) throw new InvalidCursor();
  return id;
}

/** A tenant list's cursor: the last tenant id of the page (tenant ids are the platform's, not ULIDs). */
export function decodeTenantCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!isTenantId(id)) throw new InvalidCursor();
  return id;
}

/** Turns `limit + 1` fetched rows into a page. */
export function toPage<R extends { id: string }, T>(rows: R[], limit: number, view: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return { data: kept.map(view), nextCursor: more ? encodeCursor(kept[kept.length - 1].id) : null };
}

/** since/until as Dates, refusing an empty range. */
export function timeRange(q: { since?: string; until?: string }): { since?: Date; until?: Date } {
  const since = q.since === undefined ? undefined : new Date(q.since);
  const until = q.until === undefined ? undefined : new Date(q.until);
  if (since && Number.isNaN(since.getTime())) throw new ValidationFailed('since is not a valid instant', { field: 'since' });
  if (until && Number.isNaN(until.getTime())) throw new ValidationFailed('until is not a valid instant', { field: 'until' });
  if (since && until && since > until) throw new ValidationFailed('since must not be after until', { since: q.since, until: q.until }, 'invalid_time_range');
  return { since, until };
}
