// The workflow bundle's entry point: every workflow the worker runs.
export { deliveryWorkflow, retryNowSignal, cancelSignal, resumeSignal, stateQuery } from './delivery.workflow';
export type { DeliveryInput, DeliveryResult, DeliveryResume, DeliveryState } from './delivery.workflow';
export { eventWorkflow } from './event.workflow';
export { purgeDeadLettersWorkflow, purgeHistoryWorkflow, rollupStatsWorkflow } from './purge.workflow';
