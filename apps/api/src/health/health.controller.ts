import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Client } from '@temporalio/client';
import { DataSource } from 'typeorm';
import { Public } from '../common/auth';
import { DomainError } from '../common/errors';
import { TEMPORAL_CLIENT } from '../infrastructure/tokens';

type Check = 'up' | 'down';

class NotReady extends DomainError {
  readonly kind = 'unavailable';
}

const within = <T>(ms: number, p: Promise<T>): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

@ApiTags('ops')
@Controller()
export class HealthController {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly client: Client,
  ) {}

  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Liveness: the process is up' })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  // Public like /health: a readiness poller carries no token, and the answer is only up/down.
  @Public()
  @Get('ready')
  @ApiOperation({ summary: 'Readiness: Postgres and Temporal are both reachable (503 otherwise)' })
  async ready(): Promise<{ status: 'ready'; checks: Record<string, Check> }> {
    const [postgres, temporal] = await Promise.all([
      within(2_000, this.dataSource.query('SELECT 1')).then((): Check => 'up', (): Check => 'down'),
      within(2_000, this.client.workflowService.getSystemInfo({})).then((): Check => 'up', (): Check => 'down'),
    ]);
    const checks = { postgres, temporal };
    if (postgres === 'down' || temporal === 'down') throw new NotReady('not_ready', 'Herald is not ready: a dependency is unreachable', { checks });
    return { status: 'ready', checks };
  }
}
