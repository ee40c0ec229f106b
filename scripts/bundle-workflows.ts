/**
 * `node dist/scripts/bundle-workflows.js [--force] [out]`: builds the stamped workflow bundle
 * (dist/workflow-bundle.js, libs/temporal/workflow-bundle.ts) that the worker loads, after tsc.
 * Skipped while the bundle matches the compiled sources; run by `npm run build`, bootstrap and
 * the Dockerfile.
 */
import { buildWorkflowBundle, DEFAULT_WORKFLOW_BUNDLE, isBundleFresh } from '../libs/temporal/workflow-bundle';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const out = args.find((a) => !a.startsWith('--')) ?? DEFAULT_WORKFLOW_BUNDLE;
  if (!force && isBundleFresh(out)) return;
  const t0 = performance.now();
  const { bytes, files } = await buildWorkflowBundle(out);
  process.stderr.write(`workflow bundle: ${out} (${(bytes / 1024).toFixed(0)} KiB from ${files} files) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
