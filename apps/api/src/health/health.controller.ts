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
  // Ready means "takes events": that needs Postgres only (docs/architecture.md, *Durable accept*).
  // Temporal is reported, not required: while it is away, events are accepted and dispatched later.
  @ApiOperation({ summary: 'Readiness: Postgres is reachable, so events are accepted (503 otherwise); Temporal is reported beside it' })
  async ready(): Promise<{ status: 'ready'; checks: Record<string, Check> }> {
    const [postgres, temporal] = await Promise.all([
      within(2_000, this.dataSource.query('SELECT 1')).then(
        (): Check => 'up',
        (): Check => 'down',
      ),
      // The deadline ends the client's own retries too, so no call outlives the probe (and the app's shutdown).
      within(
        2_000,
        this.client.withDeadline(Date.now() + 2_000, () => this.client.workflowService.getSystemInfo({})),
      ).then(
        (): Check => 'up',
        (): Check => 'down',
      ),
    ]);
    const checks = { postgres, temporal };
    if (postgres === 'down') throw new NotReady('not_ready', 'Herald is not ready: Postgres is unreachable', { checks });
    return { status: 'ready', checks };
  }
}
