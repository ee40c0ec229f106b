import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAllowed } from '../common/auth';
import { pathId } from '../common/ids';
import { NoBody } from '../common/json-body';
import type { Page } from '../common/pagination';
import { CurrentPrincipal, tenantScope, type Principal } from '../common/principal';
import { DeliveriesService } from './deliveries.service';
import { CancelAccepted, DeliveryDetail, DeliveryPage, RetryAccepted, type DeliveryView } from './dto/delivery.view';
import { ListDeliveriesQuery } from './dto/list-deliveries.query';

@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('v1/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @TenantAllowed()
  @ApiOperation({ summary: 'The delivery log, newest first, filtered by tenant, subscription, event, event type, status and time' })
  @ApiOkResponse({ type: DeliveryPage })
  list(@Query() query: ListDeliveriesQuery, @CurrentPrincipal() principal: Principal): Promise<Page<DeliveryView>> {
    return this.deliveries.list(query, tenantScope(principal, query.tenantId));
  }

  @Get(':id')
  @TenantAllowed()
  @ApiOperation({ summary: 'One delivery with its attempts, its live workflow state and a Temporal UI link' })
  @ApiOkResponse({ type: DeliveryDetail })
  get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<DeliveryDetail> {
    return this.deliveries.get(pathId('delivery', id), tenantScope(principal));
  }

  @Post(':id/retry')
  @TenantAllowed()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Retry now: a running delivery skips its wait (`signalled`), a finished one gets one `manual` attempt (`restarted`)' })
  @ApiAcceptedResponse({ type: RetryAccepted })
  retry(@Param('id') id: string, @NoBody() _body: undefined, @CurrentPrincipal() principal: Principal): Promise<RetryAccepted> {
    return this.deliveries.retry(pathId('delivery', id), tenantScope(principal));
  }

  /** Admin only: the issue gives a tenant session list, get and retry of its deliveries. */
  @Post(':id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Stop a running delivery (409 `delivery_not_running` when it has finished)' })
  @ApiAcceptedResponse({ type: CancelAccepted })
  cancel(@Param('id') id: string, @NoBody() _body: undefined): Promise<CancelAccepted> {
    return this.deliveries.cancel(pathId('delivery', id));
  }
}
