import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { pathId } from '../common/ids';
import { NoBody } from '../common/json-body';
import type { Page } from '../common/pagination';
import { DeliveriesService } from './deliveries.service';
import { CancelAccepted, DeliveryDetail, DeliveryPage, RetryAccepted, type DeliveryView } from './dto/delivery.view';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @ApiOperation({ summary: 'The delivery log, newest first, filtered by subscription, event, event type, status and time' })
  @ApiOkResponse({ type: DeliveryPage })
  list(@Query() query: ListDeliveriesQuery): Promise<Page<DeliveryView>> {
    return this.deliveries.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One delivery with its attempts, its live workflow state and a Temporal UI link' })
  @ApiOkResponse({ type: DeliveryDetail })
  get(@Param('id') id: string): Promise<DeliveryDetail> {
    return this.deliveries.get(pathId('delivery', id));
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Retry now: a running delivery skips its wait (`signalled`), a finished one gets one `manual` attempt (`restarted`)' })
  @ApiAcceptedResponse({ type: RetryAccepted })
  retry(@Param('id') id: string, @NoBody() _body: undefined): Promise<RetryAccepted> {
    return this.deliveries.retry(pathId('delivery', id));
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Stop a running delivery (409 `delivery_not_running` when it has finished)' })
  @ApiAcceptedResponse({ type: CancelAccepted })
  cancel(@Param('id') id: string, @NoBody() _body: undefined): Promise<CancelAccepted> {
    return this.deliveries.cancel(pathId('delivery', id));
  }
}
