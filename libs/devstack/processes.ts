import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './dev-env';

/**
 * deploy/processes.json, typed: the one source of Herald's process commands and environment,
 * which docker-compose.yml, the Helm chart and `npm run cluster` all follow.
 */
export interface ProcessDefinitions {
  herald: {
    image: string;
    environment: string[];
    secrets: string[];
    processes: {
      migrate: { kind: 'job'; command: string[] };
      api: { kind: 'service'; command: string[]; port: number; liveness: string; readiness: string };
      worker: { kind: 'service'; command: string[]; metricsPort: number; stopGracePeriodSeconds: number };
    };
  };
  temporal: {
    /** `go.temporal.io/server@<version>`. */
    server: string;
    services: TemporalService[];
    persistence: string;
    visibility: string;
    dynamicConfig: Record<string, unknown>;
  };
  cluster: { replicas: { api: number; worker: number } };
}

export type TemporalService = 'frontend' | 'history' | 'matching' | 'worker';
export type HeraldProcessName = keyof ProcessDefinitions['herald']['processes'];

export const PROCESSES_FILE = join(REPO_ROOT, 'deploy', 'processes.json');

export function processDefinitions(file = PROCESSES_FILE): ProcessDefinitions {
  return JSON.parse(readFileSync(file, 'utf8')) as ProcessDefinitions;
}

/** The Temporal server version pinned in deploy/processes.json (`v1.32.2`). */
export const temporalServerVersion = (defs = processDefinitions()): string => defs.temporal.server.split('@')[1];
