/**
 * The fast tier: deliveryWorkflow's branches on the time-skipping server with FAKE activities
 * (no Postgres, no HTTP), as in samples-typescript hello-world/src/mocha. Each case takes
 * moments of real time; virtual times come from the workflow history. delivery.test.ts proves
 * the same workflow against the real activities.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { tsToMs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker } from '@temporalio/worker';
import type {
  AttemptOutcome,
  AttemptReport,
  AttemptTarget,
  DeliveryRef,
  HeraldActivities,
  PausedAttempt,
  PreparedAttempt,
  RecordAttemptInput,
  SkippedAttempt,
} from '../../activities/types';
import { afterAttempt } from '../../libs/domain/after-attempt';
import { RETRY_DELAYS } from '../../libs/domain/retry-schedule';
import type { AttemptTrigger } from '../../libs/domain/types';
import { DELIVERY_EXHAUSTED } from '../../libs/temporal/names';
import {
  cancelSignal,
  deliveryWorkflow,
  LOCAL_SEND_MAX_MS,
  resumeSignal,
  retryNowSignal,
  stateQuery,
  type DeliveryInput,
} from '../../workflows/delivery.workflow';
import { eventWorkflow } from '../../workflows/event.workflow';
import { workflowBundle } from '../support/engine';
import { createTimeSkippingEnv } from '../support/temporal';

const SEC = 1000;
const MIN = 60 * SEC;

/** What the fake receiver does on one send: answer with a status, or a function of the test's. */
type Send = number | (() => Promise<AttemptOutcome>);

const outcome = (statusCode: number): AttemptOutcome => {
  const now = new Date().toISOString();
  const ok = statusCode >= 200 && statusCode < 300;
  return {
    ok,
    statusCode,
    errorKind: ok ? null : 'http_status',
    error: ok ? null : `HTTP ${statusCode}`,
    durationMs: 3,
    responseExcerpt: '',
    startedAt: now,
    finishedAt: now,
  };
};

/** A promise and its resolve, to hold a fake activity until the test lets it go. */
function gate<T = void>(): { promise: Promise<T>; open(value: T): void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

/**
 * The activities as plain fakes that write down every call. `sends[i]` is the receiver's answer
 * to send i + 1; `prepare(n)` may stop the delivery before send n (default: ready).
 */
function fakeActivities(script: {
  sends: Send[];
  prepare?: (n: number) => SkippedAttempt | PausedAttempt | undefined;
  firstAttemptNumber?: number;
  /** attemptDeliveries' answer to call n instead of attempting (an earlier run's record, a failed record). */
  report?: (n: number, target: AttemptTarget) => AttemptReport | undefined;
}) {
  const calls = {
    /** Each attemptDeliveries call: the attempt asked for, and the workflow's time then. */
    attempted: [] as { attemptNumber: number; at: string }[],
    prepared: [] as (DeliveryRef & { trigger: AttemptTrigger })[],
    sent: [] as string[],
    recorded: [] as RecordAttemptInput[],
    cancelled: [] as string[],
    pausedTooLong: [] as string[],
  };
  const activities: HeraldActivities = {
    async matchSubscriptions() {
      throw new Error('not used by deliveryWorkflow');
    },
    async attemptInline() {
      throw new Error('not used by deliveryWorkflow');
    },
    async matchAndAttempt() {
      throw new Error('not used by deliveryWorkflow');
    },
    async assignDeliveryWorkflow() {
      throw new Error('not used by deliveryWorkflow');
    },
    async streamTurn() {
      throw new Error('not used by an unordered deliveryWorkflow');
    },
    async releaseStreamTurn() {
      throw new Error('not used by an unordered deliveryWorkflow');
    },
    // As the real one: prepare (script.prepare), send (script.sends), record — one call per attempt.
    async attemptDeliveries({ deliveries: [target], at }): Promise<AttemptReport[]> {
      calls.attempted.push({ attemptNumber: target.attemptNumber, at });
      const given = script.report?.(calls.attempted.length, target);
      if (given) return [given];
      const skipped = script.prepare?.(calls.attempted.length);
      if (skipped) return [skipped];
      const send = script.sends[calls.sent.length];
      calls.sent.push('https://receiver.test/hook');
      if (send === undefined) throw new Error(`unexpected send ${calls.sent.length}`);
      const result = typeof send === 'number' ? outcome(send) : await send();
      const { status, delayMs } = afterAttempt(result, 'scheduled', target.attemptNumber);
      const input: RecordAttemptInput = {
        ...target,
        trigger: 'scheduled',
        url: 'https://receiver.test/hook',
        outcome: result,
        status,
        nextDelayMs: delayMs ?? null,
        at,
      };
      calls.recorded.push(input);
      return [
        {
          kind: 'attempted',
          attemptNumber: target.attemptNumber,
          status,
          delayMs: delayMs ?? null,
          nextAttemptAt: null,
          lastStatusCode: result.statusCode,
          lastError: result.error,
          durationMs: result.durationMs,
        },
      ];
    },
    async prepareAttempt(input): Promise<PreparedAttempt | SkippedAttempt | PausedAttempt> {
      calls.prepared.push(input);
      const skipped = script.prepare?.(calls.prepared.length);
      if (skipped) return skipped;
      return { kind: 'ready', attemptNumber: (script.firstAttemptNumber ?? 1) + calls.sent.length, url: 'https://receiver.test/hook', sealedRequest: 'sealed' };
    },
    async sendAttempt({ url }) {
      calls.sent.push(url);
      const send = script.sends[calls.sent.length - 1];
      if (send === undefined) throw new Error(`unexpected send ${calls.sent.length}`);
      return typeof send === 'number' ? outcome(send) : send();
    },
    async sendAttemptInSlot() {
      throw new Error('no throttled subscription here');
    },
    async recordAttempt(input) {
      calls.recorded.push(input);
      return {
        attemptId: `atm_${calls.recorded.length}`,
        nextAttemptAt: input.nextDelayMs === null ? null : new Date(Date.now() + input.nextDelayMs).toISOString(),
      };
    },
    async markDeliveryCancelled({ reason }) {
      calls.cancelled.push(reason);
    },
    async markDeliveryPausedTooLong({ deliveryId }) {
      calls.pausedTooLong.push(deliveryId);
    },
    async purgeExpiredDeadLetters() {
      return { purged: 0 };
    },
    async purgeExpiredHistory() {
      return { deliveries: 0, testAttempts: 0, events: 0, cutoff: '', more: false };
    },
    async rollupAttemptStats() {
      throw new Error('not used by deliveryWorkflow');
    },
  };
  return { activities, calls };
}

/** Virtual minutes since the workflow started: of each send, and of the workflow's close. */
async function timeline(handle: WorkflowHandle): Promise<{ sends: number[]; closed: number | undefined }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const start = tsToMs(events[0].eventTime!);
  const minutes = (e: (typeof events)[number]): number => (tsToMs(e.eventTime!) - start) / MIN;
  const closed = events.find((e) => e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes);
  return {
    sends: events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendAttempt').map(minutes),
    closed: closed && minutes(closed),
  };
}

/** Each virtual time within 1 virtual second of the expected minute. */
function assertMinutes(actual: number[], expected: number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: ${JSON.stringify(actual)}`);
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]) < SEC / MIN, `${what} ${i + 1} at ${a.toFixed(3)} min, expected ${expected[i]}`));
}

describe('deliveryWorkflow branches, with fake activities on the time-skipping server', { timeout: 120_000 }, () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    // Quiet: every dead-lettered case logs a workflow failure, which is what these tests expect.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }) } } });
    env = await createTimeSkippingEnv();
    await workflowBundle();
  });
  after(async () => {
    await env?.teardown();
  });

  /** Runs one delivery on a worker of its own whose activities are `activities`. */
  async function withDelivery<T>(
    activities: HeraldActivities,
    body: (handle: WorkflowHandle<typeof deliveryWorkflow>) => Promise<T>,
    input: Partial<DeliveryInput> = {},
  ): Promise<T> {
    const taskQueue = `branches-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start(deliveryWorkflow, {
        taskQueue,
        workflowId: `delivery:${randomUUID()}`,
        args: [{ deliveryId: 'dlv_fake', eventId: 'evt_fake', subscriptionId: 'sub_fake', ...input }],
      });
      return body(handle);
    });
  }

  const exhausted = (err: unknown): boolean => {
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, DELIVERY_EXHAUSTED);
    assert.equal(err.cause.nonRetryable, true);
    return true;
  };

  it('delivers on the first attempt and records it as succeeded', async () => {
    const { activities, calls } = fakeActivities({ sends: [200] });
    await withDelivery(activities, async (handle) => {
      assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 1 });
      assert.deepEqual(
        calls.recorded.map((r) => [r.attemptNumber, r.trigger, r.status, r.nextDelayMs]),
        [[1, 'scheduled', 'succeeded', null]],
      );
      assert.deepEqual((await handle.query(stateQuery)).status, 'succeeded');
    });
  });

  it('dead-letters after the schedule: 6 attempts at 0, 0, 1, 6, 21 and 81 minutes, then a non-retryable failure', async () => {
    const { activities, calls } = fakeActivities({ sends: [500, 500, 503, 500, 502, 500] });
    await withDelivery(activities, async (handle) => {
      await assert.rejects(handle.result(), exhausted);
      const { sends, closed } = await timeline(handle);
      assertMinutes(sends, [0, 0, 1, 6, 21, 81], 'attempt');
      assertMinutes([closed!], [81], 'failure');
      assert.deepEqual(
        calls.recorded.map((r) => r.status),
        ['retrying', 'retrying', 'retrying', 'retrying', 'retrying', 'dead_lettered'],
      );
      assert.deepEqual(
        calls.recorded.map((r) => r.nextDelayMs),
        [...RETRY_DELAYS, null],
      );
      assert.deepEqual(
        calls.recorded.map((r) => r.attemptNumber),
        [1, 2, 3, 4, 5, 6],
      );
      assert.equal(calls.cancelled.length, 0);
    });
  });

  it('makes exactly one attempt on a manual trigger: a failure dead-letters again at once, with no wait', async () => {
    const { activities, calls } = fakeActivities({ sends: [500], firstAttemptNumber: 7 });
    await withDelivery(
      activities,
      async (handle) => {
        await assert.rejects(handle.result(), exhausted);
        assert.deepEqual(
          calls.prepared.map((p) => p.trigger),
          ['manual'],
        );
        assert.deepEqual(
          calls.recorded.map((r) => [r.attemptNumber, r.trigger, r.status, r.nextDelayMs]),
          [[7, 'manual', 'dead_lettered', null]],
        );
        assertMinutes([(await timeline(handle)).closed!], [0], 'failure');
      },
      { trigger: 'manual' },
    );

    const ok = fakeActivities({ sends: [200], firstAttemptNumber: 7 });
    await withDelivery(
      ok.activities,
      async (handle) => {
        assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 7 });
        assert.deepEqual(
          ok.calls.recorded.map((r) => [r.trigger, r.status]),
          [['manual', 'succeeded']],
        );
      },
      { trigger: 'manual' },
    );
  });

  // On a real worker crash the activity times out after 45 s, and the time-skipping server does not
  // skip time while an activity is in flight: the fake fails the activity at once instead.
  it('counts an interrupted send (the send activity failed) as a failed attempt, not as a Temporal retry', async () => {
    const { activities, calls } = fakeActivities({
      sends: [() => Promise.reject(new Error('worker lost mid-request')), 200],
    });
    await withDelivery(activities, async (handle) => {
      assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 2 });
      assert.equal(calls.sent.length, 2, 'one send per attempt: the failed activity was not retried');
      const [first, second] = calls.recorded;
      assert.equal(first.outcome.ok, false);
      assert.equal(first.outcome.errorKind, 'network');
      assert.equal(first.outcome.error, 'attempt interrupted: worker lost mid-request');
      assert.deepEqual([first.status, first.nextDelayMs], ['retrying', RETRY_DELAYS[0]]);
      assert.equal(second.status, 'succeeded');
      assertMinutes((await timeline(handle)).sends, [0, 0], 'attempt');
    });
  });

  it('cancels during a wait: at minute 3 of the 5-minute wait, with no further attempt', async () => {
    const { activities, calls } = fakeActivities({ sends: [500, 500, 500] });
    await withDelivery(activities, async (handle) => {
      await env.sleep(3 * MIN); // attempts at 0, 0 and 1 failed; the fourth is due at 6
      assert.equal((await handle.query(stateQuery)).status, 'retrying');
      await handle.signal(cancelSignal, { reason: 'customer asked' });
      assert.deepEqual(await handle.result(), { status: 'cancelled', attempts: 3 });
      assert.deepEqual(calls.cancelled, ['customer asked']);
      assert.equal(calls.sent.length, 3);
      const { sends, closed } = await timeline(handle);
      assertMinutes(sends, [0, 0, 1], 'attempt');
      assertMinutes([closed!], [3], 'cancellation');
      const state = await handle.query(stateQuery);
      assert.equal(state.status, 'cancelled');
      assert.equal(state.nextAttemptAt, null);
      assert.equal(state.lastError, 'customer asked');
    });
  });

  it('cancels a delivery whose subscription was disabled: prepare says so when the wait ends', async () => {
    const { activities, calls } = fakeActivities({
      sends: [500, 500],
      prepare: (n) => (n === 3 ? { kind: 'cancelled', reason: 'subscription disabled' } : undefined),
    });
    await withDelivery(activities, async (handle) => {
      assert.deepEqual(await handle.result(), { status: 'cancelled', attempts: 2 });
      assert.deepEqual(calls.cancelled, ['subscription disabled']);
      assert.equal(calls.sent.length, 2);
      assert.equal(calls.recorded.length, 2);
      // The third prepare runs when the 1-minute wait after attempt 2 ends.
      assertMinutes([(await timeline(handle)).closed!], [1], 'cancellation');
    });
  });

  it('skips the next wait when retryNow arrives while an attempt is on the wire', async () => {
    const onWire = gate();
    const answer = gate<AttemptOutcome>();
    const third = (): Promise<AttemptOutcome> => {
      onWire.open();
      return answer.promise;
    };
    const { activities, calls } = fakeActivities({ sends: [500, 500, third, 200] });
    await withDelivery(activities, async (handle) => {
      // result() lets time skip: attempts at 0 and 0 fail, the third starts at minute 1 and waits for
      // the test. (env.sleep past that point would take real time: no skipping while an activity runs.)
      const result = handle.result();
      try {
        await onWire.promise;
        await handle.signal(retryNowSignal);
      } finally {
        answer.open(outcome(500)); // else a failed step would leave the worker waiting on the fake
      }
      assert.deepEqual(await result, { status: 'succeeded', attempts: 4 });
      assert.equal(calls.recorded[2].nextDelayMs, RETRY_DELAYS[2], 'the third attempt still scheduled the 5-minute wait');
      const { sends } = await timeline(handle);
      // Without the signal, the fourth attempt would wait until minute 6.
      assert.ok(sends[3] - sends[2] < 0.5, `attempt 4 at ${sends[3].toFixed(3)} min, right after the third`);
      assertMinutes(sends.slice(0, 3), [0, 0, 1], 'attempt');
    });
  });

  it('cancels at once, without waiting or sending, when cancel arrives while an attempt is on the wire', async () => {
    const onWire = gate();
    const answer = gate<AttemptOutcome>();
    const { activities, calls } = fakeActivities({
      sends: [
        () => {
          onWire.open();
          return answer.promise;
        },
      ],
    });
    await withDelivery(activities, async (handle) => {
      try {
        await onWire.promise;
        await handle.signal(cancelSignal);
      } finally {
        answer.open(outcome(500));
      }
      assert.deepEqual(await handle.result(), { status: 'cancelled', attempts: 1 });
      assert.deepEqual(
        calls.recorded.map((r) => r.status),
        ['retrying'],
        'the attempt on the wire is still recorded',
      );
      assert.deepEqual(calls.cancelled, ['cancelled by an operator']);
      assert.equal(calls.sent.length, 1);
    });
  });
  describe("with retries: 'local' (each attempt one local activity, as the event workflow hands over since batching)", () => {
    const local: Partial<DeliveryInput> = { retries: 'local' };
    /** Virtual minutes of each attemptDeliveries call after the first, from the workflow time it was given. */
    const askedAt = (attempted: { at: string }[]): number[] => attempted.map((a) => (Date.parse(a.at) - Date.parse(attempted[0].at)) / MIN);
    const scheduledActivities = async (handle: WorkflowHandle): Promise<number> =>
      ((await handle.fetchHistory()).events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;

    it('dead-letters after the same schedule, 0, 0, 1, 6, 21 and 81 minutes, with no activity task, prepare or separate record', async () => {
      const { activities, calls } = fakeActivities({ sends: [500, 500, 503, 500, 502, 500] });
      await withDelivery(
        activities,
        async (handle) => {
          await assert.rejects(handle.result(), exhausted);
          assertMinutes(askedAt(calls.attempted), [0, 0, 1, 6, 21, 81], 'attempt');
          assert.deepEqual(
            calls.attempted.map((a) => a.attemptNumber),
            [1, 2, 3, 4, 5, 6],
          );
          assert.deepEqual(
            calls.recorded.map((r) => r.status),
            ['retrying', 'retrying', 'retrying', 'retrying', 'retrying', 'dead_lettered'],
          );
          assert.equal(calls.prepared.length, 0);
          assert.equal(await scheduledActivities(handle), 0, 'no sendAttempt activity');
          const state = await handle.query(stateQuery);
          assert.deepEqual([state.status, state.attempts, state.lastStatusCode], ['dead_lettered', 6, 500]);
        },
        local,
      );
    });

    /** A receiver that hung to the sender's 30 s budget. */
    const hung = async (): Promise<AttemptOutcome> => ({
      ...outcome(500),
      statusCode: null,
      errorKind: 'timeout',
      error: 'timed out after 30000 ms',
      durationMs: 30_000,
    });

    it('sends the retry after a hanging attempt by the send activity (an activity slot, not a workflow-task slot), then locally again after a fast one', async () => {
      assert.ok(LOCAL_SEND_MAX_MS <= 30_000);
      const { activities, calls } = fakeActivities({ sends: [hung, 500, 200] });
      await withDelivery(
        activities,
        async (handle) => {
          assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 3 });
          assert.deepEqual(
            calls.attempted.map((a) => a.attemptNumber),
            [1, 3],
            'attempts 1 and 3 local',
          );
          assert.deepEqual(
            calls.prepared.map((p) => p.trigger),
            ['scheduled'],
            'attempt 2 in stages',
          );
          assert.equal(await scheduledActivities(handle), 1, 'one sendAttempt activity: attempt 2');
          assert.deepEqual(
            calls.recorded.map((r) => [r.attemptNumber, r.status]),
            [
              [1, 'retrying'],
              [2, 'retrying'],
              [3, 'succeeded'],
            ],
          );
        },
        local,
      );
    });

    it('sends the first retry by the send activity when the event workflow hands over after a hanging first attempt', async () => {
      const { activities, calls } = fakeActivities({ sends: [200], firstAttemptNumber: 2 });
      await withDelivery(
        activities,
        async (handle) => {
          assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 2 });
          assert.equal(calls.attempted.length, 0, 'no local send');
          assert.equal(await scheduledActivities(handle), 1);
        },
        { ...local, resume: { attempts: 1, delayMs: 0, nextAttemptAt: null, lastStatusCode: null, lastError: 'timed out', lastDurationMs: 30_000 } },
      );
    });

    it('goes on from where the event workflow left it: resumed after attempt 1, attempt 2 at once, then attempt 3 one minute later', async () => {
      const { activities, calls } = fakeActivities({ sends: [500, 200] });
      await withDelivery(
        activities,
        async (handle) => {
          assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 3 });
          assert.deepEqual(
            calls.attempted.map((a) => a.attemptNumber),
            [2, 3],
          );
          assertMinutes(askedAt(calls.attempted), [0, 1], 'attempt');
        },
        { ...local, resume: { attempts: 1, delayMs: 0, nextAttemptAt: null, lastStatusCode: 500, lastError: 'HTTP 500' } },
      );
    });

    it('records an attempt whose record failed in the activity (Postgres away) with recordAttempt, and keeps the schedule', async () => {
      const { activities, calls } = fakeActivities({
        sends: [200],
        report: (n, t) => (n === 1 ? { kind: 'sent', attemptNumber: t.attemptNumber, url: 'https://receiver.test/hook', outcome: outcome(502) } : undefined),
      });
      await withDelivery(
        activities,
        async (handle) => {
          assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 2 });
          assert.deepEqual(
            calls.recorded.map((r) => [r.attemptNumber, r.status, r.nextDelayMs]),
            [
              [1, 'retrying', RETRY_DELAYS[0]],
              [2, 'succeeded', null],
            ],
          );
        },
        local,
      );
    });

    it('never makes an attempt twice: a run that finds it recorded (an earlier run got that far) goes on with the schedule', async () => {
      const { activities, calls } = fakeActivities({
        sends: [200],
        report: (n) => (n === 1 ? { kind: 'recorded', status: 'retrying', attempts: 2, nextAttemptAt: null } : undefined),
      });
      await withDelivery(
        activities,
        async (handle) => {
          assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 3 });
          assert.deepEqual(
            calls.attempted.map((a) => a.attemptNumber),
            [2, 3],
          );
          assert.equal(calls.sent.length, 1, 'attempt 2 was not sent again');
          // Attempt 2's wait (1 minute) before attempt 3.
          assertMinutes(askedAt(calls.attempted), [0, 1], 'attempt');
        },
        { ...local, resume: { attempts: 1, delayMs: 0, nextAttemptAt: null, lastStatusCode: 500, lastError: 'HTTP 500' } },
      );
    });

    it('waits in paused without an attempt, and attempts once resumed', async () => {
      const { activities, calls } = fakeActivities({ sends: [200], prepare: (n) => (n === 1 ? { kind: 'paused' } : undefined) });
      await withDelivery(
        activities,
        async (handle) => {
          await env.sleep(10 * MIN);
          assert.equal((await handle.query(stateQuery)).status, 'paused');
          await handle.signal(resumeSignal);
          assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 1 });
          assert.equal(calls.sent.length, 1);
          assert.deepEqual(
            calls.attempted.map((a) => a.attemptNumber),
            [1, 1],
          );
        },
        local,
      );
    });

    it('makes a manual attempt in stages, as before (one attempt, its number from the delivery row)', async () => {
      const { activities, calls } = fakeActivities({ sends: [200], firstAttemptNumber: 7 });
      await withDelivery(
        activities,
        async (handle) => {
          assert.deepEqual(await handle.result(), { status: 'succeeded', attempts: 7 });
          assert.equal(calls.attempted.length, 0);
          assert.deepEqual(
            calls.prepared.map((p) => p.trigger),
            ['manual'],
          );
        },
        { ...local, trigger: 'manual' },
      );
    });
  });
});

describe('eventWorkflow (fused) with fake activities on the time-skipping server', { timeout: 60_000 }, () => {
  let env: TestWorkflowEnvironment;
  before(async () => {
    env = await createTimeSkippingEnv();
    await workflowBundle();
  });
  after(async () => {
    await env?.teardown();
  });

  it('matches again with matchSubscriptions and attempts as the batched path when matchAndAttempt fails (nothing was sent)', async () => {
    const calls: string[] = [];
    const match = {
      eventId: 'evt_fake',
      tenantId: 'default',
      eventType: 'image.created',
      templateId: null,
      deliveries: [{ deliveryId: 'dlv_fake', subscriptionId: 'sub_fake', url: 'https://receiver.test/hook' }],
    };
    const activities: HeraldActivities = {
      ...fakeActivities({ sends: [] }).activities,
      async matchAndAttempt() {
        calls.push('matchAndAttempt');
        throw ApplicationFailure.create({ message: 'Postgres unreachable' });
      },
      async matchSubscriptions(input) {
        calls.push(`matchSubscriptions ${input.holder}`);
        return match;
      },
      async attemptDeliveries({ deliveries }) {
        calls.push(`attemptDeliveries ${deliveries.map((d) => `${d.deliveryId}#${d.attemptNumber}`).join(',')}`);
        return [
          { kind: 'attempted', attemptNumber: 1, status: 'succeeded', delayMs: null, nextAttemptAt: null, lastStatusCode: 200, lastError: null, durationMs: 3 },
        ];
      },
    };
    const taskQueue = `fused-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
    const result = await worker.runUntil(
      env.client.workflow.execute(eventWorkflow, { taskQueue, workflowId: `event:${randomUUID()}`, args: [{ eventId: 'evt_fake', firstAttempts: 'fused' }] }),
    );
    assert.deepEqual(result, { deliveries: 1, finishedInline: 1 });
    assert.deepEqual(
      calls,
      ['matchAndAttempt', 'matchSubscriptions event', 'attemptDeliveries dlv_fake#1'],
      'one try of the fused activity (it POSTs: never retried), then the batched path',
    );
  });
});
