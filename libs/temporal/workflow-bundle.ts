/**
 * The workflow bundle: Herald's workflow code and the Temporal workflow runtime, bundled once at
 * build time (`npm run build`, `npm run bootstrap`, the Dockerfile) into dist/workflow-bundle.js,
 * which the worker loads (Temporal's production recommendation) instead of running webpack at
 * every start.
 *
 * The bundle carries a stamp on its last line: a SHA-256 of every file webpack put into it
 * (compiled workflow code under dist/, and the packages from node_modules), each relative to the
 * project root. The worker recomputes it at start and refuses a bundle whose sources have changed
 * since, naming the files: a worker silently running other workflow code than the code beside it
 * is the failure this prevents (replay and the tests vouch for the code, not for an old bundle).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/** The project root: dist/libs/temporal is three levels down (the same in the Docker image's /app). */
export const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');
export const DEFAULT_WORKFLOW_BUNDLE = join(PROJECT_ROOT, 'dist', 'workflow-bundle.js');
const WORKFLOWS_ENTRY = join(PROJECT_ROOT, 'dist', 'workflows', 'index.js');

/**
 * Workflow interceptor modules, bundled with the workflows: tracing
 * (workflows/tracing.interceptors.ts, inert in a run started without a trace context). The one
 * list every bundle is made with: the worker's (buildWorkflowBundle), the tests' and the bench's.
 */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [join(PROJECT_ROOT, 'dist', 'workflows', 'tracing.interceptors.js')];

/** The bundler's options for Herald's workflows, for the few places that bundle on their own (tests). */
export const workflowBundleOptions = (): { workflowsPath: string; workflowInterceptorModules: string[] } => ({
  workflowsPath: WORKFLOWS_ENTRY,
  workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
});
const STAMP = '// herald-workflow-bundle ';

export interface BundleStamp {
  /** SHA-256 over `files`, in order. */
  sources: string;
  /** Each input file (relative to the project root) and the first 16 hex digits of its SHA-256. */
  files: Record<string, string>;
}

/** The bundle is missing, unstamped or built from other sources than the ones present. */
export class StaleWorkflowBundle extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`workflow bundle ${path}: ${reason}. Rebuild it: npm run build (or npm run bootstrap; in an image, rebuild the image)`);
    this.name = 'StaleWorkflowBundle';
  }
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** Hashes `files` as they are on disk now; a missing file hashes as "missing". */
function stampOf(files: string[], root: string): BundleStamp {
  const sorted = [...files].sort();
  const hashes: Record<string, string> = {};
  for (const f of sorted) {
    const abs = join(root, f);
    hashes[f] = existsSync(abs) ? sha256(readFileSync(abs)).slice(0, 16) : 'missing';
  }
  return { sources: sha256(sorted.map((f) => `${f} ${hashes[f]}`).join('\n')), files: hashes };
}

/**
 * Bundles the workflows (from the compiled dist/workflows) with webpack and writes the stamped
 * bundle to `out`. Webpack's statistics go nowhere: the caller prints one line.
 */
export async function buildWorkflowBundle(out = DEFAULT_WORKFLOW_BUNDLE, root = PROJECT_ROOT): Promise<{ bytes: number; files: number }> {
  // Loaded here only: checking a bundle (the build step's usual case) needs no webpack.
  const { bundleWorkflowCode } = await import('@temporalio/worker');
  const inputs = new Set<string>();
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } as never,
    // Records every module webpack read: the inputs the stamp covers.
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [
        ...(config.plugins ?? []),
        {
          apply(compiler) {
            compiler.hooks.done.tap('HeraldBundleInputs', (stats) => {
              for (const m of stats.compilation.modules) {
                const resource = (m as { resource?: string }).resource?.split('?')[0];
                // The generated entry point lives in webpack's in-memory filesystem, not on disk.
                if (resource && existsSync(resource)) inputs.add(relative(root, resource));
              }
            });
          },
        },
      ],
    }),
  });
  if (inputs.size === 0) throw new Error('workflow bundle: webpack reported no input modules');
  const stamp = stampOf([...inputs], root);
  writeFileSync(out, `${code}\n${STAMP}${JSON.stringify(stamp)}\n`);
  return { bytes: code.length, files: inputs.size };
}

/** The stamp on the bundle's last line, or null when it has none. */
export function readStamp(code: string): BundleStamp | null {
  const at = code.lastIndexOf(`\n${STAMP}`);
  if (at < 0) return null;
  try {
    return JSON.parse(code.slice(at + STAMP.length + 1)) as BundleStamp;
  } catch {
    return null;
  }
}

/** Why the bundle does not match the sources present (changed files first), or null when it does. */
export function staleness(stamp: BundleStamp, root = PROJECT_ROOT): string | null {
  const now = stampOf(Object.keys(stamp.files), root);
  if (now.sources === stamp.sources) return null;
  const changed = Object.keys(stamp.files).filter((f) => now.files[f] !== stamp.files[f]);
  const shown = changed.slice(0, 5).join(', ') + (changed.length > 5 ? ` and ${changed.length - 5} more` : '');
  return `built from other workflow sources than these (changed since: ${shown})`;
}

/**
 * The bundle at `path`, checked against the sources present: what Worker.create takes as
 * `workflowBundle`. Throws StaleWorkflowBundle when it is missing, unstamped or stale.
 */
export function loadWorkflowBundle(path = DEFAULT_WORKFLOW_BUNDLE, root = PROJECT_ROOT): { code: string; stamp: BundleStamp } {
  if (!existsSync(path)) throw new StaleWorkflowBundle(path, 'not found');
  const code = readFileSync(path, 'utf8');
  const stamp = readStamp(code);
  if (!stamp) throw new StaleWorkflowBundle(path, 'it carries no source stamp (not built by scripts/bundle-workflows)');
  const stale = staleness(stamp, root);
  if (stale) throw new StaleWorkflowBundle(path, stale);
  // The stamp follows the inline source map, which the SDK reads from its `base64,` to the end of
  // the code: handed over with the stamp, the map decodes with the stamp's bytes after its JSON.
  return { code: code.slice(0, code.lastIndexOf(`\n${STAMP}`) + 1), stamp };
}

/** Whether the bundle at `path` exists and matches the sources present (the build step skips webpack then). */
export function isBundleFresh(path = DEFAULT_WORKFLOW_BUNDLE, root = PROJECT_ROOT): boolean {
  try {
    loadWorkflowBundle(path, root);
    return true;
  } catch {
    return false;
  }
}
