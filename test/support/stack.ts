import type { INestApplication } from '@nestjs/common';
import { NativeConnection } from '@temporalio/worker';
import type { AddressInfo } from 'node:net';
import { createApi } from '../../apps/api/src/app';
import { createHeraldWorker, type HeraldWorker } from '../../apps/worker/src/worker';
import type { Config } from '../../libs/config/config';
import { startTracing } from '../../libs/observability/tracing';
import { connectClient } from '../../libs/temporal/connection';
import { DeliveryService } from '../../libs/temporal/delivery-service';
import type { Client } from '@temporalio/client';
import { testConfig, TEST_ADMIN_TOKEN } from './config';
import { createTestDatabase, type PostgresServer, type TestDatabase } from './database';
import { testTemporalAddress } from './temporal';

export interface TestStack {
  config: Config;
  db: TestDatabase;
  app: INestApplication;
  /** http://127.0.0.1:<port> of the listening API. */
  baseUrl: string;
  /** Absent with `{ worker: false }` (tests that run the worker as a process of its own). */
  worker: HeraldWorker;
  client: Client;
  deliveries: DeliveryService;
  /** fetch against the API with the admin token (override headers to test auth). */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * The whole product in this process: API (listening on a free port) and worker, on a fresh
 * database of the shared Postgres (or of `opts.postgres`, a server of the test's own) and the
 * shared Temporal dev server, with a task queue of its own.
 */
export async function startStack(env: Record<string, string> = {}, opts: { worker?: boolean; postgres?: PostgresServer } = {}): Promise<TestStack> {
  const db = await createTestDatabase({ postgres: opts.postgres });
  // env.TEMPORAL_ADDRESS (and TEMPORAL_UI_URL) point the stack at a Temporal server of the test's own.
  const config = testConfig({ DATABASE_URL: db.url, TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS ?? (await testTemporalAddress()), ...env });
  const app = await createApi(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const connection = await NativeConnection.connect({ address: config.temporal.address });
  // As in apps/worker/src/main.ts: tracing when the OTEL_* variables of `env` say so (none by default).
  const tracing = startTracing(config.telemetry, 'herald-worker');
  const worker = opts.worker === false ? undefined : await createHeraldWorker({ config, connection, dataSource: db.dataSource, tracing });
  const running = worker ? worker.run() : Promise.resolve();
  const client = await connectClient(config);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    config,
    db,
    app,
    baseUrl,
    worker: worker as HeraldWorker,
    client,
    deliveries: new DeliveryService(client, config.temporal.taskQueue, config.temporal.uiUrl, config.temporal.namespace),
    async api(path, init = {}) {
      const { json, headers, ...rest } = init;
      const res = await fetch(baseUrl + path, {
        ...rest,
        headers: {
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
          ...(json !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(headers as Record<string, string>),
        },
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, body, headers: res.headers };
    },
    async stop() {
      await worker?.shutdown();
      await running;
      await app.close();
      await connection.close();
      await client.connection.close();
      await tracing.shutdown();
      await db.drop();
    },
  };
}
