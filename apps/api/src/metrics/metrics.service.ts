import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Config } from '../../../../libs/config/config';
import type { Stores } from '../../../../libs/db/repositories';
import { createApiMetrics, type ApiMetrics } from '../../../../libs/observability/metrics';
import { startOtlpMetrics, type OtlpMetrics } from '../../../../libs/observability/otlp-metrics';
import { CONFIG, STORES } from '../infrastructure/tokens';

/**
 * The API's Prometheus metrics (a Registry of its own), also pushed over OTLP when configured.
 * Feature services count through it, e.g. the events service calls `metrics.eventAccepted()`
 * once per newly accepted Event.
 */
@Injectable()
export class Metrics implements OnApplicationShutdown {
  private readonly metrics: ApiMetrics;
  private readonly otlp: OtlpMetrics;
  private readonly logger = new Logger('Metrics');

  constructor(@Inject(STORES) stores: Stores, @Inject(CONFIG) config: Config) {
    this.metrics = createApiMetrics({
      stores,
      onError: (err) => this.logger.warn(`a Postgres-backed gauge could not be read: ${(err as Error).message}`),
    });
    this.otlp = startOtlpMetrics(config.telemetry, 'herald-api', this.metrics.registry, {
      onError: (err) => this.logger.warn(`OTLP metrics export failed: ${(err as Error).message}`),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.otlp.shutdown();
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
