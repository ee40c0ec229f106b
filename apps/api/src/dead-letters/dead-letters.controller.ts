import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { TenantAllowed } from '../common/auth';
import { pathId } from '../common/ids';
import { NoBody } from '../common/json-body';
import type { Page } from '../common/pagination';
import { CurrentPrincipal, tenantScope, type Principal } from '../common/principal';
import { DeadLettersService } from './dead-letters.service';
import { BulkRetryDto, BulkRetryResult } from './dto/bulk-retry.dto';
import { DeadLetterPage, DeadLetterRetryAccepted, DeadLetterView } from './dto/dead-letter.view';
import { ListDeadLettersQuery } from './dto/list-dead-letters.query';

/** A tenant session handles its own tenant's dead letters here; another tenant's are 404 to it. */
@ApiTags('dead letters')
@ApiBearerAuth()
@TenantAllowed()
@Controller('v1/dead-letters')
export class DeadLettersController {
  constructor(private readonly deadLetters: DeadLettersService) {}

  @Get()
  @ApiOperation({ summary: 'Dead letters (deliveries whose schedule ran out), newest first; kept 7 days' })
  @ApiOkResponse({ type: DeadLetterPage })
  list(@Query() query: ListDeadLettersQuery, @CurrentPrincipal() principal: Principal): Promise<Page<DeadLetterView>> {
    return this.deadLetters.list(query, tenantScope(principal, query.tenantId));
  }

  @Post('retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Retry the matching dead letters (at most 1000 per call; `remaining` says how many are left)' })
  @ApiAcceptedResponse({ type: BulkRetryResult })
  bulkRetry(@Body() dto: BulkRetryDto, @CurrentPrincipal() principal: Principal): Promise<BulkRetryResult> {
    return this.deadLetters.bulkRetry(dto, tenantScope(principal, dto.tenantId));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead letter with the payload as last sent' })
  @ApiOkResponse({ type: DeadLetterView })
  get(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<DeadLetterView> {
    return this.deadLetters.get(pathId('dead_letter', id), tenantScope(principal));
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({ summary: 'Retry one dead letter: its delivery gets one `manual` attempt; success removes the dead letter' })
  @ApiAcceptedResponse({ type: DeadLetterRetryAccepted })
  retry(@Param('id') id: string, @NoBody() _body: undefined, @CurrentPrincipal() principal: Principal): Promise<DeadLetterRetryAccepted> {
    return this.deadLetters.retry(pathId('dead_letter', id), tenantScope(principal));
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Discard a dead letter (the delivery and its attempts stay in the log)' })
  @ApiNoContentResponse()
  discard(@Param('id') id: string, @NoBody() _body: undefined, @CurrentPrincipal() principal: Principal): Promise<void> {
    return this.deadLetters.discard(pathId('dead_letter', id), tenantScope(principal));
  }
}
