import type { BundleOptions } from '@temporalio/worker';

/**
 * What goes into the workflow bundle, in one place for every bundler: the worker bundling from
 * source, `scripts/bundle-workflows.ts` (the prebuilt bundle), the tests and the bench. A
 * workflow interceptor module missing from a prebuilt bundle would silently drop its behaviour,
 * since a worker given a bundle ignores its own list.
 */
export const WORKFLOWS_PATH = require.resolve('../../workflows');

/** Workflow interceptors: tracing (workflows/tracing.interceptors.ts, inert in an untraced run). */
export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [require.resolve('../../workflows/tracing.interceptors')];

export const workflowBundleOptions = (): Pick<BundleOptions, 'workflowsPath' | 'workflowInterceptorModules'> => ({
  workflowsPath: WORKFLOWS_PATH,
  workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES],
});
