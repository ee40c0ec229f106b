import type { ActivityDeps } from './deps';
import { attemptDeliveries } from './attempt-deliveries';
import { attemptInline } from './attempt-inline';
import {
  assignDeliveryWorkflow,
  markDeliveryCancelled,
  markDeliveryPausedTooLong,
  purgeExpiredDeadLetters,
  purgeExpiredHistory,
  releaseStreamTurn,
  rollupAttemptStats,
  streamTurn,
} from './lifecycle';
import { matchAndAttempt } from './match-and-attempt';
import { matchSubscriptions } from './match-subscriptions';
import { prepareAttempt } from './prepare-attempt';
import { recordAttempt } from './record-attempt';
import { sendAttempt, sendAttemptInSlot } from './send-attempt';
import type { HeraldActivities } from './types';

export type { ActivityDeps } from './deps';

/** Builds the worker's activities from their dependencies (the samples-typescript factory pattern). */
export function createActivities(deps: ActivityDeps): HeraldActivities {
  return {
    matchSubscriptions: matchSubscriptions(deps),
    prepareAttempt: prepareAttempt(deps),
    attemptInline: attemptInline(deps),
    attemptDeliveries: attemptDeliveries(deps),
    matchAndAttempt: matchAndAttempt(deps),
    assignDeliveryWorkflow: assignDeliveryWorkflow(deps),
    sendAttempt: sendAttempt(deps),
    sendAttemptInSlot: sendAttemptInSlot(deps),
    recordAttempt: recordAttempt(deps),
    markDeliveryCancelled: markDeliveryCancelled(deps),
    markDeliveryPausedTooLong: markDeliveryPausedTooLong(deps),
    streamTurn: streamTurn(deps),
    releaseStreamTurn: releaseStreamTurn(deps),
    purgeExpiredDeadLetters: purgeExpiredDeadLetters(deps),
    purgeExpiredHistory: purgeExpiredHistory(deps),
    rollupAttemptStats: rollupAttemptStats(deps),
  };
}
