import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAllowed } from '../common/auth';
import { pathId } from '../common/ids';
import { NoBody } from '../common/json-body';
import type { Page } from '../common/pagination';
import { CurrentPrincipal, tenantScope, type Principal } from '../common/principal';
import { AttemptView } from '../deliveries/dto/attempt.view';
import { StreamList } from '../deliveries/dto/delivery.view';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { FilterTestDto, FilterTestResult } from './dto/filter-test.dto';
import { ListSubscriptionsQuery } from './dto/list-subscriptions.query';
import { RotateSecretDto } from './dto/rotate-secret.dto';
import { SubscriptionPage, SubscriptionView, SubscriptionWithSecret } from './dto/subscription.view';
import { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { SubscriptionFiltersService } from './subscription-filters.service';
import { SubscriptionsService } from './subscriptions.service';

/** A tenant session manages its own tenant's subscriptions here; another tenant's are 404 to it. */
@ApiTags('subscriptions')
@ApiBearerAuth()
@TenantAllowed()
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly filters: SubscriptionFiltersService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register a webhook endpoint; the response is the only place its secret is shown' })
  @ApiCreatedResponse({ type: SubscriptionWithSecret })
  create(@Body() dto: CreateSubscriptionDto, @CurrentPrincipal() principal: Principal): Promise<SubscriptionWithSecret> {
    return this.subscriptions.create(dto, tenantScope(principal, dto.tenantId));
  }

  @Get()
  @ApiOperation({ summary: 'List subscriptions, oldest first, filtered by tenant, event type and enabled flag' })
  @ApiOkResponse({ type: SubscriptionPage })
  list(@Query() query: ListSubscriptionsQuery, @CurrentPrincipal() principal: Principal): Promise<Page<SubscriptionView>> {
    return this.subscriptions.list(query, tenantScope(principal, query.tenantId));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One subscription (without its secret)' })
  @ApiOkResponse({ type: SubscriptionView })
  get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<SubscriptionView> {
    return this.subscriptions.get(pathId('subscription', id), tenantScope(principal));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change any field, incl. enable/disable; running deliveries use the change from their next attempt' })
  @ApiOkResponse({ type: SubscriptionView })
  update(@Param('id') id: string, @Body() dto: UpdateSubscriptionDto, @CurrentPrincipal() principal: Principal): Promise<SubscriptionView> {
    return this.subscriptions.update(pathId('subscription', id), dto, tenantScope(principal));
  }

  @Get(':id/streams')
  @ApiOperation({
    summary:
      "A `fifo` subscription's streams with deliveries still to end: each head (being attempted, or blocked when `retrying` or `paused`), since when, and how many wait behind it; longest-held first",
  })
  @ApiOkResponse({ type: StreamList })
  streams(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<StreamList> {
    return this.subscriptions.streams(pathId('subscription', id), tenantScope(principal));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the subscription with its delivery log and dead letters; its running deliveries stop' })
  @ApiNoContentResponse()
  remove(@Param('id') id: string, @NoBody() _body: undefined, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.subscriptions.remove(pathId('subscription', id), tenantScope(principal));
  }

  @Post(':id/pause')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Pause sending: events are still accepted and matched, their deliveries wait (status `paused`) without using an attempt; idempotent',
  })
  @ApiOkResponse({ type: SubscriptionView })
  pause(@Param('id') id: string, @NoBody() _body: undefined, @CurrentPrincipal() principal: Principal): Promise<SubscriptionView> {
    return this.subscriptions.pause(pathId('subscription', id), tenantScope(principal));
  }

  @Post(':id/resume')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Resume sending: every waiting delivery proceeds, oldest first; idempotent' })
  @ApiOkResponse({ type: SubscriptionView })
  resume(@Param('id') id: string, @NoBody() _body: undefined, @CurrentPrincipal() principal: Principal): Promise<SubscriptionView> {
    return this.subscriptions.resume(pathId('subscription', id), tenantScope(principal));
  }

  @Post(':id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Replace the secret; the previous one keeps signing (a second signature) for 24 hours' })
  @ApiOkResponse({ type: SubscriptionWithSecret })
  rotateSecret(@Param('id') id: string, @Body() dto: RotateSecretDto, @CurrentPrincipal() principal: Principal): Promise<SubscriptionWithSecret> {
    return this.subscriptions.rotateSecret(pathId('subscription', id), dto.secret, tenantScope(principal));
  }

  @Post(':id/test')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Send a sample image.created now and return the recorded Attempt (trigger `test`)' })
  @ApiOkResponse({ type: AttemptView })
  test(@Param('id') id: string, @NoBody() _body: undefined, @CurrentPrincipal() principal: Principal): Promise<AttemptView> {
    return this.subscriptions.sendTest(pathId('subscription', id), tenantScope(principal));
  }

  @Post(':id/filter-test')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Whether an event would reach this subscription: its types, templates and payload filter, tried without sending anything' })
  @ApiOkResponse({ type: FilterTestResult })
  filterTest(@Param('id') id: string, @Body() dto: FilterTestDto, @CurrentPrincipal() principal: Principal): Promise<FilterTestResult> {
    return this.filters.test(pathId('subscription', id), dto, tenantScope(principal));
  }
}
