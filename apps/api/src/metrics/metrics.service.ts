import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Stores } from '../../../../libs/db/repositories';
import { createApiMetrics, type ApiMetrics } from '../../../../libs/observability/metrics';
import { STORES } from '../infrastructure/tokens';

/**
 * The API's Prometheus metrics (a Registry of its own). Feature services count through it,
 * e.g. the events service calls `metrics.eventAccepted()` once per newly accepted Event.
 */
@Injectable()
export class Metrics {
  private readonly metrics: ApiMetrics;
  private readonly logger = new Logger('Metrics');

  constructor(@Inject(STORES) stores: Stores) {
    this.metrics = createApiMetrics({
      stores,
      onError: (err) => this.logger.warn(`a Postgres-backed gauge could not be read: ${(err as Error).message}`),
    });
  }

  eventAccepted(): void {
    this.metrics.eventAccepted();
  }

  get contentType(): string {
    return this.metrics.contentType;
  }

  render(): Promise<string> {
    return this.metrics.render();
  }
}
