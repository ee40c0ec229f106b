import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../libs/temporal/names';
import { startTemporalDevServer, type RunningTemporal } from '../../libs/devstack/temporal-dev-server';
import { temporalTestServerPath } from '../../libs/devstack/toolchain';
import { freePort } from '../../libs/devstack/ports';

/**
 * The time-skipping test server from the PyPI wheel, with Herald's search attributes registered
 * (it rejects upserts of unknown ones). Only `env.client` skips time.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
  });
  const { INDEXED_VALUE_TYPE_INT, INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_KEYWORD_LIST } = temporal.api.enums.v1.IndexedValueType;
  const indexed = { Int: INDEXED_VALUE_TYPE_INT, Keyword: INDEXED_VALUE_TYPE_KEYWORD, KeywordList: INDEXED_VALUE_TYPE_KEYWORD_LIST };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, indexed[type]])),
  });
  return env;
}

let own: Promise<RunningTemporal> | undefined;

/**
 * Address of the run's shared Temporal dev server (HERALD_TEST_TEMPORAL_ADDRESS, started once by
 * test/run.ts with Herald's search attributes) or of one this process starts for itself.
 */
export async function testTemporalAddress(): Promise<string> {
  const shared = process.env.HERALD_TEST_TEMPORAL_ADDRESS;
  if (shared) return shared;
  own ??= (async () => startTemporalDevServer({ port: await freePort() }))();
  return (await own).address;
}

export async function stopOwnTemporal(): Promise<void> {
  if (!own) return;
  const server = await own;
  own = undefined;
  await server.stop();
}

/** A fresh dev server with Herald's search attributes, for tests that must own theirs (kill -9 and the like). */
export async function startPrivateTemporal(opts: { dbFile?: string; port?: number } = {}): Promise<RunningTemporal> {
  return startTemporalDevServer({ port: opts.port ?? (await freePort()), dbFile: opts.dbFile });
}

export { SEARCH_ATTRIBUTES };
