import { Body, Controller, Get, Headers, HttpCode, HttpStatus, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { IngestAllowed } from '../common/auth';
import { pathId } from '../common/ids';
import { EventAccepted, EventView } from './dto/event.view';
import { IngestEventDto } from './dto/ingest-event.dto';
import { EventsService } from './events.service';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Post('events')
  @IngestAllowed()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Ingest an event (admin or ingest token)',
    description:
      '202 once the event is stored and its workflow started. Idempotent by `id` or `Idempotency-Key`: the same body again gets the same answer and starts nothing; another body under the same id/key is 409 `idempotency_conflict`. 503 when Temporal is unreachable: post again.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Makes a post without `id` idempotent (1..255 visible ASCII characters)' })
  @ApiHeader({
    name: 'traceparent',
    required: false,
    description: 'W3C Trace Context of the producer; stored and sent to receivers with every attempt (a malformed one is ignored)',
  })
  @ApiAcceptedResponse({ type: EventAccepted })
  ingest(
    @Body() dto: IngestEventDto,
    @Headers('idempotency-key') idempotencyKey?: string,
    @Headers('traceparent') traceparent?: string,
  ): Promise<EventAccepted> {
    return this.events.ingest(dto, idempotencyKey, traceparent);
  }

  @Get('events/:id')
  @ApiOperation({ summary: 'One event with its deliveries' })
  @ApiOkResponse({ type: EventView })
  get(@Param('id') id: string): Promise<EventView> {
    return this.events.get(pathId('event', id));
  }
}
