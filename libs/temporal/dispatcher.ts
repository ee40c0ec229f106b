import { setTimeout as sleep } from 'node:timers/promises';
import type { EventRepository } from '../db/repositories';
import type { TenantShare } from './delivery-service';
import { eventWorkflowId } from './names';

/** The events table as an outbox: the claim verb of the event repository, and what the admission window reads. */
export type DispatchOutbox = Pick<EventRepository, 'dispatchUnstarted' | 'unfinished'>;

/** Starts an event's workflow; idempotent by workflow id (DeliveryService.startEvent). */
export interface EventStarter {
  startEvent(eventId: string, opts?: { timeoutMs?: number; tenant?: TenantShare }): Promise<void>;
  /** Resolves when Temporal answers; asked after a failed round, before claiming again. */
  ping?(opts: { timeoutMs: number }): Promise<void>;
}

export interface DispatcherOptions {
  /** Events claimed per transaction. */
  batch?: number;
  /** Workflow starts in flight per claim. */
  concurrency?: number;
  /** A start not answered by then counts as failed: Temporal is unreachable, back off. */
  startTimeoutMs?: number;
  /** Period of the catch-up sweep; 0: none (woken only). */
  sweepMs?: number;
  /** Only events older than this; the worker leaves fresh events to the API that accepted them. */
  minAgeMs?: number;
  /**
   * Admission window: at most this many (× the tenant's weight) of a tenant's events started by
   * this dispatcher whose first attempts have not gone out (EventRepository.unfinished); undefined: no bound.
   */
  window?: number;
  /**
   * While every backlogged tenant's window is full, claim again this often; after a second of
   * that (no worker is taking tasks), every 500 ms.
   */
  windowPollMs?: number;
  /** While every window is full, claim again at least this often (default FULL_RECLAIM_MS). */
  fullReclaimMs?: number;
  /** First and longest wait after a failed round; the wait doubles in between. */
  backoffMs?: { initial: number; max: number };
  onStarted?: (count: number) => void;
  onError?: (err: unknown) => void;
}

/**
 * The worker's dispatcher: the outbox's safety net. It sweeps for events an API accepted but
 * never dispatched (the API crashed or was stopped) once they are 30 s old, leaving fresh ones
 * to the API's own dispatcher.
 */
export const WORKER_DISPATCH: DispatcherOptions = { sweepMs: 15_000, minAgeMs: 30_000 };

export interface DispatchRound {
  claimed: number;
  /** The claim may have left events behind: claim again before resting. */
  more?: boolean;
  started: number;
  /** The admission window was full: nothing claimed, claim again shortly. */
  full?: boolean;
  /** The first start that failed; the rest of the claim was left for the next round. */
  error?: unknown;
}

/** While the windows are full, claim again at least this often (Dispatcher.waitForRoom). */
export const FULL_RECLAIM_MS = 250;

/** How long an event started by a dispatcher counts against its tenant's window at most. */
export const WINDOW_HORIZON_MS = 30_000;

/**
 * Starts the event workflows of accepted events: the dispatcher of the transactional outbox
 * (docs/architecture.md, *Dispatch*). The API wakes it after each commit; a sweep catches up
 * whatever is left (a Temporal outage, a crashed API), backing off while Temporal fails.
 *
 * A claim takes the backlogged tenants in turn, by weight (EventRepository.dispatchUnstarted),
 * and starts its events interleaved, each with its tenant as fairness key: one tenant's burst is
 * dispatched beside, not before, another tenant's fresh event.
 *
 * Several dispatchers (API and worker replicas) share the events table safely: a claim locks
 * its rows (`FOR UPDATE SKIP LOCKED`), so one dispatcher at a time starts an event and a
 * committed claim marks it started; an event is only started again when its start succeeded
 * but the claim's commit did not, and then the workflow id (`event:<id>`, REJECT_DUPLICATE)
 * turns the second start into a no-op.
 */
export class Dispatcher {
  private readonly batch: number;
  private readonly concurrency: number;
  private readonly startTimeoutMs: number;
  private readonly sweepMs: number;
  private readonly minAgeMs: number;
  private readonly backoff: { initial: number; max: number };
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Woken since the current round's claim: claim again before resting. */
  private pending = false;
  private failures = 0;
  private stopped = false;
  /** Consecutive claims that found every window full (and polls since). */
  private fullRounds = 0;
  /** Woken since the last claim began: a wait for room ends at once. */
  private wokenWhileFull = false;
  /** Events this dispatcher started that may not be matched yet, with their tenant and start time. */
  private readonly inFlight = new Map<string, { tenantId: string; at: number }>();

  constructor(
    private readonly outbox: DispatchOutbox,
    private readonly starter: EventStarter,
    private readonly opts: DispatcherOptions = {},
  ) {
    this.batch = opts.batch ?? 100;
    this.concurrency = opts.concurrency ?? 16;
    this.startTimeoutMs = opts.startTimeoutMs ?? 5_000;
    this.sweepMs = opts.sweepMs ?? 5_000;
    this.minAgeMs = opts.minAgeMs ?? 0;
    this.backoff = opts.backoffMs ?? { initial: 1_000, max: 10_000 };
  }

  /** Begins the periodic sweep, the first one at once. */
  start(): this {
    this.wake();
    return this;
  }

  /**
   * An event was committed: dispatch now. Cheap and synchronous; wakes during a round are
   * folded into its next claim, and while backing off the backoff timer decides.
   */
  wake(): void {
    if (this.stopped) return;
    this.pending = true;
    this.wokenWhileFull = true;
    if (this.running || this.failures > 0) return;
    this.run();
  }

  /** Claims once and starts what it claimed. */
  async dispatchOnce(): Promise<DispatchRound> {
    // Cleared before the claim reads anything: a wake from here on (an event its snapshot may
    // miss) ends the wait for room that may follow.
    this.wokenWhileFull = false;
    let error: unknown;
    const window = this.opts.window === undefined ? undefined : { size: this.opts.window, taken: await this.windowTaken() };
    const { claimed, started, more, full } = await this.outbox.dispatchUnstarted({ limit: this.batch, minAgeMs: this.minAgeMs, window }, async (events) => {
      const done: string[] = [];
      let next = 0;
      const lane = async (): Promise<void> => {
        // After a failure the remaining ids are not tried: the claim stays short, and they wait for the next round.
        while (next < events.length && error === undefined) {
          const { id, tenantId, weight } = events[next++];
          try {
            await this.starter.startEvent(id, { timeoutMs: this.startTimeoutMs, tenant: { id: tenantId, weight } });
            done.push(id);
            if (window) this.inFlight.set(id, { tenantId, at: Date.now() });
          } catch (err) {
            error ??= err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, events.length) }, lane));
      return done;
    });
    if (started > 0) this.opts.onStarted?.(started);
    return { claimed, started, more, full, error };
  }

  /**
   * Per tenant, how many of the events this dispatcher started have not sent their first attempts
   * yet (EventRepository.unfinished). One lookup by primary key of at most a window per backlogged
   * tenant. An event found done is forgotten; one not done within WINDOW_HORIZON_MS (its workflow
   * terminated, or no worker for that long) stops counting, so a window
   * never stays closed.
   */
  private async windowTaken(): Promise<Map<string, number>> {
    const horizon = Date.now() - WINDOW_HORIZON_MS;
    for (const [id, e] of this.inFlight) if (e.at < horizon) this.inFlight.delete(id);
    const ids = [...this.inFlight.keys()];
    const waiting = new Set(await this.outbox.unfinished(ids.map((id) => ({ id, workflowId: eventWorkflowId(id) }))));
    const taken = new Map<string, number>();
    for (const [id, e] of this.inFlight) {
      if (!waiting.has(id)) this.inFlight.delete(id);
      else taken.set(e.tenantId, (taken.get(e.tenantId) ?? 0) + 1);
    }
    return taken;
  }

  /**
   * After a claim that found every backlogged tenant's window full: polls (short while workers
   * take tasks, longer once none seem to) until an event this dispatcher started has made its
   * first attempts, or it was woken (an event committed here, perhaps another tenant's), then the
   * caller claims again. A poll is the window's lookup alone (one statement), not a claim that
   * would find the windows as full (a transaction of three: bench/results/2026-12-03-lean-2.md).
   * At most `fullReclaimMs` without a claim, for what the lookup cannot see (another API's
   * events of a tenant with room, a weight raised).
   */
  private async waitForRoom(): Promise<void> {
    const poll = this.opts.windowPollMs ?? 20;
    const waiting = this.inFlight.size;
    const until = Date.now() + (this.opts.fullReclaimMs ?? FULL_RECLAIM_MS);
    for (;;) {
      this.fullRounds++;
      await sleep(this.fullRounds * poll < 1_000 ? poll : Math.max(poll, 500));
      if (this.stopped || this.wokenWhileFull || Date.now() >= until) return;
      try {
        await this.windowTaken(); // forgets the events that are done
      } catch {
        return; // Postgres away: the claim meets it too, and the round backs off
      }
      if (this.inFlight.size < waiting) return;
    }
  }

  /** Claims until nothing is left or a round fails; the number of workflows started. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const round = await this.dispatchOnce();
      total += round.started;
      if (round.error !== undefined) throw round.error;
      if (!round.more) return total;
      if (round.full) await this.waitForRoom();
      else this.fullRounds = 0;
    }
  }

  /** Stops sweeping and waits for the round in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private run(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.rounds().finally(() => {
      this.running = undefined;
      this.schedule();
    });
  }

  private async rounds(): Promise<void> {
    while (!this.stopped) {
      this.pending = false;
      let round: DispatchRound;
      try {
        // After a failure, ask Temporal before locking rows again: a replica that cannot reach it
        // must not keep events locked for a start deadline while other replicas could start them.
        if (this.failures > 0) await this.starter.ping?.({ timeoutMs: this.startTimeoutMs });
        round = await this.dispatchOnce();
      } catch (err) {
        round = { claimed: 0, started: 0, error: err }; // Temporal still away, or the claim itself failed (Postgres)
      }
      if (round.error !== undefined) {
        this.failures++;
        this.opts.onError?.(round.error);
        return;
      }
      this.failures = 0;
      if (!round.more && !this.pending) return;
      if (round.full) await this.waitForRoom();
      else this.fullRounds = 0;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    if (this.failures === 0 && this.pending) return this.run(); // woken as the last round ended
    const delay = this.failures > 0 ? Math.min(this.backoff.max, this.backoff.initial * 2 ** (this.failures - 1)) : this.sweepMs;
    if (delay <= 0) return;
    this.timer = setTimeout(() => {
      this.pending = true;
      this.run();
    }, delay);
    this.timer.unref();
  }
}
