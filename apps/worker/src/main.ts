import 'reflect-metadata';
import { Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../../../libs/config/config';
import { createDataSource } from '../../../libs/db/data-source';
import { connectClient, connectWorker } from '../../../libs/temporal/connection';
import { DeliveryService } from '../../../libs/temporal/delivery-service';
import { startReconciler } from '../../../libs/temporal/reconciler';
import { createHeraldWorker, ensurePurgeSchedule } from './worker';

/** The worker process: runs delivery, event and purge workflows and their activities. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  // We own shutdown: stop taking tasks, let running activities finish, then close connections.
  Runtime.install({ shutdownSignals: [] });
  const dataSource = await createDataSource(config.databaseUrl, { applicationName: 'herald-worker', poolSize: 30 }).initialize();
  const connection = await connectWorker(config);
  const client = await connectClient(config);
  await ensurePurgeSchedule(client, config.temporal.taskQueue);
  const herald = await createHeraldWorker({ config, connection, dataSource });
  const deliveries = new DeliveryService(client, config.temporal.taskQueue, config.temporal.uiUrl, config.temporal.namespace);
  const stopReconciler = startReconciler(dataSource, deliveries, {
    onStarted: (n) => process.stderr.write(`herald worker: reconciler started ${n} event workflow(s) the API had not\n`),
    onError: (err) => process.stderr.write(`herald worker: reconciler: ${(err as Error).message}\n`),
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`herald worker: ${signal}, shutting down\n`);
    void herald.shutdown();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  process.stderr.write(`herald worker: polling ${config.temporal.taskQueue} on ${config.temporal.address} (${config.temporal.namespace})\n`);
  try {
    await herald.run();
  } finally {
    await stopReconciler();
    await connection.close();
    await client.connection.close();
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`herald worker: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
