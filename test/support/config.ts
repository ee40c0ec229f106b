import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../libs/config/config';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_INGEST_TOKEN = 'test-ingest-token-0123456789';
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * A validated Config for tests: loopback allowed as a target, plain HTTP allowed, and a task
 * queue of its own so concurrent test files never take each other's tasks.
 */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: 'postgres://herald:herald@127.0.0.1:5432/unused',
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    HERALD_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    HERALD_INGEST_TOKEN: TEST_INGEST_TOKEN,
    HERALD_SECRET_KEY: TEST_SECRET_KEY,
    HERALD_ALLOWED_TARGETS: '127.0.0.1,localhost',
    HERALD_ALLOW_HTTP: 'true',
    HERALD_TASK_QUEUE: `herald-test-${randomBytes(4).toString('hex')}`,
    HERALD_LOG_LEVEL: 'silent',
    ...env,
  });
}
