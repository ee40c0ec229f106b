import { Body, Controller, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAllowed } from '../common/auth';
import { NoBody } from '../common/json-body';
import { CreateEventTypeDto } from './dto/create-event-type.dto';
import { EventTypeList, EventTypeView } from './dto/event-type.view';
import { ListEventTypesQuery } from './dto/list-event-types.query';
import { UpdateEventTypeDto } from './dto/update-event-type.dto';
import { EventTypesService } from './event-types.service';

@ApiTags('event-types')
@ApiBearerAuth()
@Controller('v1/event-types')
export class EventTypesController {
  constructor(private readonly eventTypes: EventTypesService) {}

  @Post()
  @ApiOperation({ summary: 'Add an event type to the catalog (operator); its example must pass its schema' })
  @ApiCreatedResponse({ type: EventTypeView })
  create(@Body() dto: CreateEventTypeDto): Promise<EventTypeView> {
    return this.eventTypes.create(dto);
  }

  @Get()
  @TenantAllowed()
  @ApiOperation({ summary: 'The event-type catalog by name, with the JSON Schema and example of each payload' })
  @ApiOkResponse({ type: EventTypeList })
  async list(@Query() query: ListEventTypesQuery): Promise<EventTypeList> {
    return { data: await this.eventTypes.list(query) };
  }

  @Get(':name')
  @TenantAllowed()
  @ApiOperation({ summary: 'One event type (archived ones too)' })
  @ApiOkResponse({ type: EventTypeView })
  get(@Param('name') name: string): Promise<EventTypeView> {
    return this.eventTypes.get(name);
  }

  @Patch(':name')
  @ApiOperation({ summary: 'Change description, group, example or schema; a new schema must still accept the stored example' })
  @ApiOkResponse({ type: EventTypeView })
  update(@Param('name') name: string, @Body() dto: UpdateEventTypeDto): Promise<EventTypeView> {
    return this.eventTypes.update(name, dto);
  }

  @Post(':name/archive')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Archive: refused for new events and subscriptions (422 `event_type_archived`), kept for history' })
  @ApiOkResponse({ type: EventTypeView })
  archive(@Param('name') name: string, @NoBody() _body: undefined): Promise<EventTypeView> {
    return this.eventTypes.archive(name);
  }
}
