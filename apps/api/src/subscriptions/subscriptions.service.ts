import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Config } from '../../../../libs/config/config';
import type { Subscription } from '../../../../libs/db/entities';
import type { Stores, SubscriptionDeliverySummary, TenantScope } from '../../../../libs/db/repositories';
import { attemptRow, prepareRequest, sendRequest } from '../../../../libs/delivery/attempt';
import { sealHeaderValues } from '../../../../libs/delivery/header-values';
import { validateCustomHeaders } from '../../../../libs/delivery/headers';
import { createHttpSender, type HttpSender } from '../../../../libs/delivery/http-sender';
import { SAMPLE_IMAGE_CREATED } from '../../../../libs/delivery/payload';
import type { SecretBox } from '../../../../libs/delivery/secret-box';
import { generateSecret, isValidSecret } from '../../../../libs/delivery/signing';
import { createTargetPolicy, type TargetPolicy } from '../../../../libs/delivery/ssrf';
import { IMAGE_CREATED } from '../../../../libs/domain/builtin-event-types';
import { parseEventTypeFilter } from '../../../../libs/domain/event-types';
import { newId } from '../../../../libs/domain/ids';
import { candidateFilters } from '../../../../libs/domain/matching';
import { isOperationalEventType } from '../../../../libs/domain/operational-events';
import { DEFAULT_TENANT_ID, OPERATOR_TENANT_ID } from '../../../../libs/domain/tenants';
import { DeliveryService } from '../../../../libs/temporal/delivery-service';
import { HERALD_VERSION } from '../../../../libs/version';
import { mapLimit } from '../common/concurrency';
import { NotFound, OperatorTenantReserved, TargetRefused, UnknownEventType, ValidationFailed } from '../common/errors';
import { EventCatalog } from '../event-types/event-catalog';
import { decodeCursor, DEFAULT_LIMIT, toPage, type Page } from '../common/pagination';
import { SECRET_BOX } from '../infrastructure/infrastructure.module';
import { CONFIG, STORES } from '../infrastructure/tokens';
import { toAttemptView, type AttemptView } from '../deliveries/dto/attempt.view';
import { toStreamView, type StreamList } from '../deliveries/dto/delivery.view';
import type { CreateSubscriptionDto } from './dto/create-subscription.dto';
import type { ListSubscriptionsQuery } from './dto/list-subscriptions.query';
import type { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { toSubscriptionView, type SubscriptionView, type SubscriptionWithSecret } from './dto/subscription.view';
import { checkFilter } from './subscription-filters.service';
import { checkJsonSize } from '../common/json-body';

/** `user_defined` travels in every payload: kept small. */
export const USER_DEFINED_MAX_BYTES = 8 * 1024;
/** After a rotation the replaced secret keeps signing this long, so receivers can switch over. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1000;
/** The window of a subscription's `successRate24h`. */
const SUCCESS_RATE_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Control, format (RTL override, zero-width), separator, private-use, unassigned, surrogate. */
const INVISIBLE_OR_CONTROL = /[\p{C}\p{Z}]/u;

@Injectable()
export class SubscriptionsService implements OnApplicationShutdown {
  private readonly logger = new Logger('SubscriptionsService');
  private readonly policy: TargetPolicy;
  private readonly sender: HttpSender;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(STORES) private readonly stores: Pick<Stores, 'tenants' | 'subscriptions' | 'deliveries' | 'attempts' | 'streams'>,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
    @Inject(DeliveryService) private readonly deliveries: DeliveryService,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
  ) {
    this.policy = createTargetPolicy({ allowedTargets: config.delivery.allowedTargets, allowHttp: config.delivery.allowHttp });
    this.sender = createHttpSender({ policy: this.policy, egressProxy: config.delivery.egressProxy });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }

  /** `scope` is the tenant it goes to (a tenant session's own); none = `default`. */
  async create(dto: CreateSubscriptionDto, scope: TenantScope): Promise<SubscriptionWithSecret> {
    const secret = dto.secret ?? generateSecret();
    this.checkSecret(secret);
    const tenantId = scope.tenantId ?? DEFAULT_TENANT_ID;
    const url = this.checkUrl(dto.url);
    checkOperatorFilters(tenantId, dto.eventTypes);
    await this.catalog.checkSubscriptionFilters(dto.eventTypes);
    // A subscription for a tenant the platform has not registered yet registers it.
    await this.stores.tenants.ensure(tenantId);
    const subscription = await this.stores.subscriptions.insert({
      id: newId('subscription'),
      tenantId,
      url,
      eventTypes: dto.eventTypes,
      templateIds: dto.templateIds ?? [],
      description: dto.description ?? null,
      secretCiphertext: this.secretBox.seal(secret),
      previousSecretCiphertext: null,
      previousSecretExpiresAt: null,
      headers: this.checkHeaders(dto.headers ?? {}),
      userDefined: this.checkUserDefined(dto.userDefined ?? {}),
      payloadFormat: dto.payloadFormat ?? 'flat',
      enabled: dto.enabled ?? true,
      filter: checkFilter(dto.filter),
      pausedAt: null,
      rateLimitPerSecond: dto.rateLimitPerSecond ?? null,
      ordering: dto.ordering ?? 'none',
    });
    this.logger.log(`subscription ${subscription.id} created for tenant ${tenantId}`);
    return { ...this.view(subscription), secret };
  }

  async list(q: ListSubscriptionsQuery, scope: TenantScope): Promise<Page<SubscriptionView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const cursor = decodeCursor('subscription', q.cursor);
    const parsed = q.eventType === undefined ? undefined : parseEventTypeFilter(q.eventType);
    if (q.eventType !== undefined && !parsed) throw new UnknownEventType(q.eventType, 'eventType');
    // An exact type: every subscription that receives it. A wildcard: those that list it.
    const anyEventTypeFilter = q.eventType === undefined ? undefined : parsed?.kind === 'exact' ? candidateFilters(q.eventType) : [q.eventType];
    const rows = await this.stores.subscriptions.listPage({ ...scope, enabled: q.enabled, anyEventTypeFilter }, { cursor, limit });
    // The page's delivery figures in one query, not one per subscription.
    const summaries = await this.deliverySummaries(rows.slice(0, limit).map((s) => s.id));
    return toPage(rows, limit, (s) => this.view(s, summaries.get(s.id)));
  }

  async get(id: string, scope: TenantScope): Promise<SubscriptionView> {
    return this.viewWithDeliveries(await this.find(id, scope));
  }

  async update(id: string, dto: UpdateSubscriptionDto, scope: TenantScope): Promise<SubscriptionView> {
    const s = await this.find(id, scope);
    if (dto.url !== undefined) s.url = this.checkUrl(dto.url);
    if (dto.eventTypes !== undefined) {
      checkOperatorFilters(s.tenantId, dto.eventTypes);
      // Filters it lists already stay allowed (an archived type keeps its old subscribers); new ones are checked.
      await this.catalog.checkSubscriptionFilters(dto.eventTypes.filter((f) => !s.eventTypes.includes(f)));
      s.eventTypes = dto.eventTypes;
    }
    if (dto.templateIds !== undefined) s.templateIds = dto.templateIds;
    if (dto.description !== undefined) s.description = dto.description;
    if (dto.headers !== undefined) s.headers = this.checkHeaders(dto.headers);
    if (dto.userDefined !== undefined) s.userDefined = this.checkUserDefined(dto.userDefined);
    if (dto.payloadFormat !== undefined) s.payloadFormat = dto.payloadFormat;
    const reEnabled = dto.enabled === true && !s.enabled;
    if (dto.enabled !== undefined) s.enabled = dto.enabled;
    if (dto.filter !== undefined) s.filter = checkFilter(dto.filter);
    if (dto.rateLimitPerSecond !== undefined) s.rateLimitPerSecond = dto.rateLimitPerSecond;
    // Deliveries already created keep their mode (docs/architecture.md, *Ordered delivery*).
    if (dto.ordering !== undefined) s.ordering = dto.ordering;
    await this.stores.subscriptions.save(s);
    if (reEnabled) {
      // Back on: the reason goes, and the failing clock starts from nothing.
      await this.stores.subscriptions.clearHealth(s.id);
      Object.assign(s, { disabledReason: null, failingSince: null, consecutiveFailures: 0, failedDeliveries: 0 });
    }
    return this.viewWithDeliveries(s);
  }

  /**
   * Pauses it: from their next attempt its deliveries wait in `paused` (an attempt already on the
   * wire completes). Pausing a paused subscription changes nothing.
   */
  async pause(id: string, scope: TenantScope): Promise<SubscriptionView> {
    const s = await this.find(id, scope);
    await this.stores.subscriptions.pause(s.id, new Date());
    this.logger.log(`subscription ${s.id} paused`);
    return this.get(s.id, scope);
  }

  /**
   * Resumes it and wakes its waiting deliveries, oldest first. One whose signal is lost (Temporal
   * unreachable, the API stopping) proceeds at its hourly re-check.
   */
  async resume(id: string, scope: TenantScope): Promise<SubscriptionView> {
    const s = await this.find(id, scope);
    await this.stores.subscriptions.resume(s.id, new Date());
    const waiting = await this.stores.deliveries.listPaused(s.id);
    let unsignalled = 0;
    // Signals go out in the list's order (oldest first), a few at a time.
    await mapLimit(waiting, 16, (d) =>
      this.deliveries.resume(d).catch((err: unknown) => {
        unsignalled++;
        this.logger.warn(`delivery ${d.id}: resume signal failed (${(err as Error).message}); it proceeds at its next re-check`);
      }),
    );
    this.logger.log(`subscription ${s.id} resumed; ${waiting.length - unsignalled} of ${waiting.length} waiting deliveries signalled`);
    return this.get(s.id, scope);
  }

  /**
   * Stops the subscription's running deliveries, then deletes it; the foreign keys take its
   * deliveries, attempts and dead letters with it. A delivery that misses the cancel signal
   * (Temporal unreachable) still stops: its next attempt finds the subscription gone.
   */
  /** Its streams with deliveries still to end, head first (at most 100). */
  async streams(id: string, scope: TenantScope): Promise<StreamList> {
    const s = await this.find(id, scope);
    return { data: (await this.stores.streams.heads(s.id)).map(toStreamView) };
  }

  async remove(id: string, scope: TenantScope): Promise<void> {
    const s = await this.find(id, scope);
    const running = await this.stores.deliveries.listOpen({ subscriptionId: s.id });
    let unsignalled = 0;
    await mapLimit(running, 16, (d) =>
      this.deliveries.cancel(d, 'subscription deleted').catch((err: unknown) => {
        unsignalled++;
        this.logger.warn(`delivery ${d.id}: cancel signal failed (${(err as Error).message}); it stops at its next attempt`);
      }),
    );
    await this.stores.subscriptions.delete(s.id);
    // `fifo` deliveries still waiting for their turn are held by their event workflows: told to look again, they find themselves gone.
    const waiting = running.filter((d) => d.sequence !== null && d.turnAt === null);
    await mapLimit(waiting, 16, (d) => this.deliveries.wakeInStream(d.workflowId, d.id).catch(() => false));
    this.logger.log(`subscription ${s.id} deleted; ${running.length - unsignalled} of ${running.length} running deliveries signalled to stop`);
  }

  async rotateSecret(id: string, given: string | undefined, scope: TenantScope): Promise<SubscriptionWithSecret> {
    const s = await this.find(id, scope);
    const secret = given ?? generateSecret();
    this.checkSecret(secret);
    if (secret === this.secretBox.open(s.secretCiphertext))
      throw new ValidationFailed('The new secret must differ from the current one', { field: 'secret' }, 'invalid_secret');
    s.previousSecretCiphertext = s.secretCiphertext;
    s.previousSecretExpiresAt = new Date(Date.now() + PREVIOUS_SECRET_TTL_MS);
    s.secretCiphertext = this.secretBox.seal(secret);
    await this.stores.subscriptions.save(s);
    this.logger.log(`subscription ${s.id}: secret rotated; the previous one signs until ${s.previousSecretExpiresAt.toISOString()}`);
    return { ...(await this.viewWithDeliveries(s)), secret };
  }

  /**
   * Sends a sample `image.created` now, outside any delivery, and records it as an Attempt with
   * trigger `test`. Disabled subscriptions can be tested too.
   */
  async sendTest(id: string, scope: TenantScope): Promise<AttemptView> {
    const s = await this.find(id, scope);
    const attemptId = newId('attempt');
    const now = new Date();
    const event = {
      id: `evt_test_${attemptId.slice(4)}`,
      type: IMAGE_CREATED.name,
      templateId: null,
      traceId: null,
      traceparent: null,
      data: { ...SAMPLE_IMAGE_CREATED },
      receivedAt: now,
    };
    const request = prepareRequest({
      subscription: s,
      event,
      webhookId: attemptId,
      attemptNumber: 1,
      now,
      open: (c) => this.secretBox.open(c),
      version: HERALD_VERSION,
    });
    const outcome = await sendRequest(this.sender, s.url, request);
    const attempt = await this.stores.attempts.insertTest(
      attemptRow({ id: attemptId, deliveryId: null, subscriptionId: s.id, number: 1, trigger: 'test', url: s.url, outcome }),
    );
    return toAttemptView(attempt);
  }

  private view(s: Subscription, deliveries?: SubscriptionDeliverySummary): SubscriptionView {
    return toSubscriptionView(s, (sealed) => this.secretBox.open(sealed), deliveries);
  }

  private async viewWithDeliveries(s: Subscription): Promise<SubscriptionView> {
    return this.view(s, (await this.deliverySummaries([s.id])).get(s.id));
  }

  /** Each subscription's newest delivery and its last 24 hours (`successRate24h`). */
  private deliverySummaries(ids: string[]): Promise<Map<string, SubscriptionDeliverySummary>> {
    return this.stores.deliveries.summarizeBySubscription(ids, new Date(Date.now() - SUCCESS_RATE_WINDOW_MS));
  }

  /** Another tenant's subscription is not found, exactly like one that does not exist. */
  private async find(id: string, scope: TenantScope): Promise<Subscription> {
    const s = await this.stores.subscriptions.find(id, scope);
    if (!s) throw new NotFound('subscription', id);
    return s;
  }

  /**
   * The SSRF policy's own check (scheme, http allowed, credentials, literal internal addresses).
   * Names are resolved, and judged again, at connect time; `localhost` is judged here already,
   * as the loopback address it always is.
   */
  private checkUrl(url: string): string {
    // The URL parser silently drops tabs and line breaks and IDNA maps invisible characters
    // away, so such a URL would be stored as one thing and sent to another.
    if (INVISIBLE_OR_CONTROL.test(url))
      throw new TargetRefused('invalid_url', 'url refused: it contains whitespace, control or invisible characters (percent-encode them)', {
        kind: 'invalid_url',
      });
    const verdict = this.policy.checkUrl(url);
    if (!verdict.ok)
      throw new TargetRefused(verdict.kind === 'invalid_url' ? 'invalid_url' : 'url_not_allowed', `url refused: ${verdict.reason}`, { kind: verdict.kind });
    const host = verdict.url.hostname.toLowerCase().replace(/\.$/, '');
    if ((host === 'localhost' || host.endsWith('.localhost')) && !this.policy.isAllowedAddress('127.0.0.1', host)) {
      throw new TargetRefused('url_not_allowed', `url refused: ${host} is a loopback name`, { kind: 'ssrf_blocked' });
    }
    return url;
  }

  /** Valid headers, their values sealed: the map as stored. Writing headers replaces every value. */
  private checkHeaders(headers: Record<string, string>): Record<string, string> {
    const problems = validateCustomHeaders(headers);
    if (problems.length > 0) throw new ValidationFailed('headers are invalid', { field: 'headers', problems }, 'invalid_headers');
    return sealHeaderValues(headers, (v) => this.secretBox.seal(v));
  }

  private checkUserDefined(value: Record<string, unknown>): Record<string, unknown> {
    return checkJsonSize(value, 'userDefined', USER_DEFINED_MAX_BYTES, 'user_defined_too_large');
  }

  private checkSecret(secret: string): void {
    if (!isValidSecret(secret))
      throw new ValidationFailed('secret must be `whsec_` followed by base64 of 24 to 64 random bytes', { field: 'secret' }, 'invalid_secret');
  }
}

/** The operator's subscriptions receive operational events only: any other filter would never match. */
function checkOperatorFilters(tenantId: string, eventTypes: readonly string[]): void {
  if (tenantId !== OPERATOR_TENANT_ID) return;
  const other = eventTypes.find((f) => !isOperationalEventType(f));
  if (other !== undefined) {
    throw new OperatorTenantReserved(
      `A ${OPERATOR_TENANT_ID} subscription receives operational events only: list herald.* types or families, not ${JSON.stringify(other)}`,
      {
        field: 'eventTypes',
        value: other,
      },
    );
  }
}
