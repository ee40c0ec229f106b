import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The clone's root (this file runs from dist/libs/devstack). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/** Where `npm start` keeps its state (Postgres data, Temporal's SQLite file, dev.env). */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HERALD_STATE_DIR ?? join(REPO_ROOT, '.herald'));
}

const devEnvFile = (dir: string): string => join(dir, 'dev.env');

/** The tokens and key `npm start` generated, and where its API listens, from `<state>/dev.env`; {} when there is none yet. */
export function readDevEnv(dir: string = stateDir()): Record<string, string> {
  const file = devEnvFile(dir);
  if (!existsSync(file)) return {};
  return Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('=') && !l.startsWith('#'))
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
}

/**
 * dev.env with every token and key `npm start` needs: generated once (mode 0600) and kept, so a
 * restart keeps its tokens and can still open the secrets sealed before it.
 */
export function ensureDevEnv(dir: string = stateDir()): Record<string, string> {
  const found = readDevEnv(dir);
  const wanted: Record<string, () => string> = {
    HERALD_ADMIN_TOKEN: () => `hrld_admin_${randomBytes(18).toString('base64url')}`,
    HERALD_INGEST_TOKEN: () => `hrld_ingest_${randomBytes(18).toString('base64url')}`,
    HERALD_SECRET_KEY: () => randomBytes(32).toString('base64'),
  };
  const missing = Object.keys(wanted).filter((k) => !found[k]);
  if (missing.length === 0) return found;
  const env = { ...found, ...Object.fromEntries(missing.map((k) => [k, wanted[k]()])) };
  writeDevEnv(dir, env);
  return env;
}

/**
 * Where this `npm start` serves the API (`HERALD_API_URL` in dev.env), rewritten at every start, so
 * the CLI finds a stack started on another port (HERALD_API_PORT) without being told.
 */
export function recordDevApiUrl(url: string, dir: string = stateDir()): void {
  writeDevEnv(dir, { ...readDevEnv(dir), HERALD_API_URL: url });
}

function writeDevEnv(dir: string, env: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    devEnvFile(dir),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
}
