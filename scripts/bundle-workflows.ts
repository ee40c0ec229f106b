/**
 * Prebuilds the workflow bundle (dist/workflow-bundle.js) so production workers start without
 * running webpack. The worker uses it when present (HERALD_WORKFLOW_BUNDLE overrides the path).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../libs/temporal/workflow-bundle';

async function main(): Promise<void> {
  const { code } = await bundleWorkflowCode(workflowBundleOptions());
  const out = process.argv[2] ?? join(__dirname, '..', 'workflow-bundle.js');
  writeFileSync(out, code);
  process.stdout.write(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
