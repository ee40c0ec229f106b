import { ApiProperty } from '@nestjs/swagger';
import type { EventType } from '../../../../../libs/db/entities';
import { IMAGE_CREATED } from '../../../../../libs/domain/builtin-event-types';

export class EventTypeView {
  @ApiProperty({ example: 'image.created' })
  name: string;

  @ApiProperty({ example: IMAGE_CREATED.description })
  description: string;

  @ApiProperty({ description: 'JSON Schema 2020-12 the event data is checked against', type: 'object', additionalProperties: true })
  schema: Record<string, unknown>;

  @ApiProperty({ description: 'A data the schema accepts', type: 'object', additionalProperties: true, example: IMAGE_CREATED.example })
  example: Record<string, unknown>;

  @ApiProperty({ nullable: true, type: String, example: 'image' })
  group: string | null;

  @ApiProperty({ description: 'Bumped by each schema change', example: 1 })
  version: number;

  @ApiProperty({
    description: 'Set once archived: no new events or subscriptions, kept for history',
    nullable: true,
    type: String,
    format: 'date-time',
    example: null,
  })
  archivedAt: Date | null;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  createdAt: Date;

  @ApiProperty({ type: String, format: 'date-time', example: '2025-11-23T10:00:00.000Z' })
  updatedAt: Date;
}

export class EventTypeList {
  @ApiProperty({ type: [EventTypeView] })
  data: EventTypeView[];
}

export function toEventTypeView(t: EventType): EventTypeView {
  return {
    name: t.name,
    description: t.description,
    schema: t.schema,
    example: t.example,
    group: t.group,
    version: t.version,
    archivedAt: t.archivedAt,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}
