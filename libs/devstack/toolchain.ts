import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StackError } from './errors';

/** Where scripts/bootstrap.sh installs the Temporal binaries. */
export function cacheDir(): string {
  return process.env.HERALD_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'herald');
}

function binary(envName: string, name: string): string {
  const path = process.env[envName] ?? join(cacheDir(), 'bin', name);
  if (!existsSync(path)) throw new StackError(`${name} not found at ${path}: run \`npm run bootstrap\` (or set ${envName})`);
  return path;
}

export const temporalCliPath = (): string => binary('HERALD_TEMPORAL_CLI', 'temporal');
export const temporalTestServerPath = (): string => binary('HERALD_TEMPORAL_TEST_SERVER', 'temporal-test-server');

/** The Jaeger version scripts/install-jaeger.sh builds (keep the two in step). */
export const JAEGER_VERSION = 'v1.75.0';
export const jaegerPath = (): string => process.env.HERALD_JAEGER ?? join(cacheDir(), 'jaeger', JAEGER_VERSION, 'jaeger');

/** The Temporal server and its SQL tool, built by scripts/cluster-tools.sh (`npm run cluster` runs it). */
function clusterTool(envName: string, name: string, version: string): string {
  const path = process.env[envName] ?? join(cacheDir(), 'temporal-server', version, 'bin', name);
  if (!existsSync(path)) throw new StackError(`${name} not found at ${path}: run \`bash scripts/cluster-tools.sh\` (or set ${envName})`);
  return path;
}

export const temporalServerPath = (version: string): string => clusterTool('HERALD_TEMPORAL_SERVER', 'temporal-server', version);
export const temporalSqlToolPath = (version: string): string => clusterTool('HERALD_TEMPORAL_SQL_TOOL', 'temporal-sql-tool', version);
