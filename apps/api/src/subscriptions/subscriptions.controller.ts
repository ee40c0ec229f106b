import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { pathId } from '../common/ids';
import { NoBody } from '../common/json-body';
import type { Page } from '../common/pagination';
import { AttemptView } from '../deliveries/dto/attempt.view';
import { CreateSubscriptionDto } from './dto/create-subscription.dto';
import { FilterTestDto, FilterTestResult } from './dto/filter-test.dto';
import { ListSubscriptionsQuery } from './dto/list-subscriptions.query';
import { RotateSecretDto } from './dto/rotate-secret.dto';
import { SubscriptionPage, SubscriptionView, SubscriptionWithSecret } from './dto/subscription.view';
import { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { SubscriptionFiltersService } from './subscription-filters.service';
import { SubscriptionsService } from './subscriptions.service';

@ApiTags('subscriptions')
@ApiBearerAuth()
@Controller('v1/subscriptions')
export class SubscriptionsController {
  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly filters: SubscriptionFiltersService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Register a webhook endpoint; the response is the only place its secret is shown' })
  @ApiCreatedResponse({ type: SubscriptionWithSecret })
  create(@Body() dto: CreateSubscriptionDto): Promise<SubscriptionWithSecret> {
    return this.subscriptions.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'List subscriptions, oldest first, filtered by event type and enabled flag' })
  @ApiOkResponse({ type: SubscriptionPage })
  list(@Query() query: ListSubscriptionsQuery): Promise<Page<SubscriptionView>> {
    return this.subscriptions.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One subscription (without its secret)' })
  @ApiOkResponse({ type: SubscriptionView })
  get(@Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.get(pathId('subscription', id));
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change any field, incl. enable/disable; running deliveries use the change from their next attempt' })
  @ApiOkResponse({ type: SubscriptionView })
  update(@Param('id') id: string, @Body() dto: UpdateSubscriptionDto): Promise<SubscriptionView> {
    return this.subscriptions.update(pathId('subscription', id), dto);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Delete the subscription with its delivery log and dead letters; its running deliveries stop' })
  @ApiNoContentResponse()
  remove(@Param('id') id: string, @NoBody() _body: undefined): Promise<void> {
    return this.subscriptions.remove(pathId('subscription', id));
  }

  @Post(':id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Replace the secret; the previous one keeps signing (a second signature) for 24 hours' })
  @ApiOkResponse({ type: SubscriptionWithSecret })
  rotateSecret(@Param('id') id: string, @Body() dto: RotateSecretDto): Promise<SubscriptionWithSecret> {
    return this.subscriptions.rotateSecret(pathId('subscription', id), dto.secret);
  }

  @Post(':id/test')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Send a sample image.created now and return the recorded Attempt (trigger `test`)' })
  @ApiOkResponse({ type: AttemptView })
  test(@Param('id') id: string, @NoBody() _body: undefined): Promise<AttemptView> {
    return this.subscriptions.sendTest(pathId('subscription', id));
  }

  @Post(':id/filter-test')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Whether an event would reach this subscription: its types, templates and payload filter, tried without sending anything' })
  @ApiOkResponse({ type: FilterTestResult })
  filterTest(@Param('id') id: string, @Body() dto: FilterTestDto): Promise<FilterTestResult> {
    return this.filters.test(pathId('subscription', id), dto);
  }
}
