import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { Runtime } from '@temporalio/worker';
import { loadConfigOrExit, missingMallocTuning, WORKER_V8_FLAGS } from '../../../libs/config/config';
import { createDataSource } from '../../../libs/db/data-source';
import { createStores } from '../../../libs/db/repositories';
import { createLogger, temporalLevel, temporalLogger } from '../../../libs/observability/logger';
import { createWorkerMetrics, serveMetrics } from '../../../libs/observability/metrics';
import { startOtlpMetrics } from '../../../libs/observability/otlp-metrics';
import { startTracing } from '../../../libs/observability/tracing';
import { connectClient, connectWorker } from '../../../libs/temporal/connection';
import { DeliveryService } from '../../../libs/temporal/delivery-service';
import { Dispatcher, WORKER_DISPATCH } from '../../../libs/temporal/dispatcher';
import { createHeraldWorker, ensurePurgeSchedule, ensureRetentionSchedule, ensureStatsRollupSchedule } from './worker';

/** The worker process: runs delivery, event and purge workflows and their activities, and sweeps the outbox. */
async function main(): Promise<void> {
  // The heap's growth between full collections, bounded (WORKER_V8_FLAGS: one heap holds the workflows too).
  for (const flag of WORKER_V8_FLAGS) setFlagsFromString(flag);
  const config = loadConfigOrExit();
  const log = createLogger('worker', config.logLevel, config.logFormat);
  // We own shutdown: stop taking tasks, let running activities finish, then close connections.
  // SDK, workflow and activity logs, and the native core's warnings, go through the same JSON logger.
  Runtime.install({
    shutdownSignals: [],
    logger: temporalLogger(log),
    telemetryOptions: {
      logging: {
        forward: {},
        filter: { core: config.logLevel === 'debug' || config.logLevel === 'trace' ? temporalLevel(config.logLevel) : 'WARN', other: 'ERROR' },
      },
    },
  });
  // Read by glibc at exec, so only whatever starts this process can set them (MALLOC_TUNING).
  const untuned = isGlibc() ? missingMallocTuning() : [];
  if (untuned.length)
    log.warn({ missing: untuned }, 'started without the malloc settings of MALLOC_TUNING (libs/config/config.ts): RSS will grow with the work done');
  const metrics = createWorkerMetrics();
  // OTLP export of traces and metrics, when configured by the OTEL_* variables (else nothing starts).
  const tracing = startTracing(config.telemetry, 'herald-worker');
  const otlpMetrics = startOtlpMetrics(config.telemetry, 'herald-worker', metrics.registry, {
    onError: (err) => log.warn({ err }, 'OTLP metrics export failed'),
  });
  const metricsServer = await serveMetrics(metrics, { port: config.worker.metricsPort, onError: (err) => log.warn({ err }, 'metrics scrape failed') });
  const dataSource = await createDataSource(config.databaseUrl, { applicationName: 'herald-worker', poolSize: 30 }).initialize();
  const connection = await connectWorker(config);
  const client = await connectClient(config, { tracing });
  await ensurePurgeSchedule(client, config.temporal.taskQueue);
  await ensureRetentionSchedule(client, config.temporal.taskQueue);
  await ensureStatsRollupSchedule(client, config.temporal.taskQueue);
  const deliveries = new DeliveryService(
    client,
    config.temporal.taskQueue,
    config.temporal.uiUrl,
    config.temporal.namespace,
    tracing.enabled ? { tracer: tracing.tracer } : undefined,
  );
  // Operational events (herald.*) are committed by this worker's activities: it dispatches them
  // at once, as an API does the events it accepts, instead of leaving them to the 30 s sweep.
  // Both claim any tenant's events, a burst's backlog included: each keeps its own admission
  // window, so a burst the API's window holds in the outbox does not reach Temporal all at once
  // through them (the sweep: once the burst's oldest events are 30 s old).
  const raised = new Dispatcher(createStores(dataSource).events, deliveries, {
    sweepMs: 0,
    window: config.dispatch.window,
    onError: (err) => log.error({ err }, 'dispatching operational events failed; the sweep will start them'),
  });
  const herald = await createHeraldWorker({ config, connection, dataSource, metrics, tracing, onOperationalEvents: () => raised.wake() });
  // The outbox's safety net (docs/architecture.md, *Dispatch*).
  const dispatcher = new Dispatcher(createStores(dataSource).events, deliveries, {
    ...WORKER_DISPATCH,
    window: config.dispatch.window,
    onStarted: (count) => log.warn({ count }, 'dispatcher sweep started event workflows no API had started'),
    onError: (err) => log.error({ err }, 'dispatcher sweep failed, retrying with backoff'),
  }).start();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void herald.shutdown();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  log.info(
    { taskQueue: config.temporal.taskQueue, temporalAddress: config.temporal.address, namespace: config.temporal.namespace, metricsPort: metricsServer.port },
    'worker polling',
  );
  try {
    await herald.run();
  } finally {
    await dispatcher.stop();
    await raised.stop();
    await metricsServer.close();
    await otlpMetrics.shutdown();
    await tracing.shutdown();
    await connection.close();
    await client.connection.close();
    await dataSource.destroy();
    log.info('worker stopped');
  }
}

function isGlibc(): boolean {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return Boolean(report?.header?.glibcVersionRuntime);
}

main().catch((err: unknown) => {
  createLogger('worker').fatal({ err }, 'worker failed');
  process.exit(1);
});
