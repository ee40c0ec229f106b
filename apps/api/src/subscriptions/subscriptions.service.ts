import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, In, Not, type Repository } from 'typeorm';
import { signingSecrets } from '../../../../activities/prepare-attempt';
import type { Config } from '../../../../libs/config/config';
import { Attempt, Delivery, Subscription } from '../../../../libs/db/entities';
import { buildHeaders, validateCustomHeaders } from '../../../../libs/delivery/headers';
import { createHttpSender, type HttpSender } from '../../../../libs/delivery/http-sender';
import { buildBody, SAMPLE_IMAGE_CREATED } from '../../../../libs/delivery/payload';
import type { SecretBox } from '../../../../libs/delivery/secret-box';
import { generateSecret, isValidSecret, signatureHeaders } from '../../../../libs/delivery/signing';
import { createTargetPolicy, type TargetPolicy } from '../../../../libs/delivery/ssrf';
import { EVENT_TYPES, isKnownEventType, isValidEventTypeFilter } from '../../../../libs/domain/event-types';
import { newId } from '../../../../libs/domain/ids';
import { FINAL_DELIVERY_STATUSES } from '../../../../libs/domain/types';
import { DeliveryService } from '../../../../libs/temporal/delivery-service';
import { HERALD_VERSION } from '../../../../libs/version';
import { mapLimit } from '../common/concurrency';
import { NotFound, TargetRefused, UnknownEventType, ValidationFailed } from '../common/errors';
import { decodeCursor, DEFAULT_LIMIT, toPage, type Page } from '../common/pagination';
import { SECRET_BOX } from '../infrastructure/infrastructure.module';
import { CONFIG } from '../infrastructure/tokens';
import { toAttemptView, type AttemptView } from '../deliveries/dto/attempt.view';
import type { CreateSubscriptionDto } from './dto/create-subscription.dto';
import type { ListSubscriptionsQuery } from './dto/list-subscriptions.query';
import type { UpdateSubscriptionDto } from './dto/update-subscription.dto';
import { toSubscriptionView, type SubscriptionView, type SubscriptionWithSecret } from './dto/subscription.view';

/** `user_defined` travels in every payload: kept small. */
export const USER_DEFINED_MAX_BYTES = 8 * 1024;
/** After a rotation the replaced secret keeps signing this long, so receivers can switch over. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1000;
const EXCERPT_LIMIT = 4 * 1024;
/** Control, format (RTL override, zero-width), separator, private-use, unassigned, surrogate. */
const INVISIBLE_OR_CONTROL = /[\p{C}\p{Z}]/u;

@Injectable()
export class SubscriptionsService implements OnApplicationShutdown {
  private readonly logger = new Logger('SubscriptionsService');
  private readonly policy: TargetPolicy;
  private readonly sender: HttpSender;
  private readonly repo: Repository<Subscription>;

  constructor(
    @Inject(CONFIG) config: Config,
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(SECRET_BOX) private readonly secretBox: SecretBox,
    @Inject(DeliveryService) private readonly deliveries: DeliveryService,
  ) {
    this.policy = createTargetPolicy({ allowedTargets: config.delivery.allowedTargets, allowHttp: config.delivery.allowHttp });
    this.sender = createHttpSender({ policy: this.policy, egressProxy: config.delivery.egressProxy });
    this.repo = dataSource.getRepository(Subscription);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sender.close();
  }

  async create(dto: CreateSubscriptionDto): Promise<SubscriptionWithSecret> {
    const secret = dto.secret ?? generateSecret();
    this.checkSecret(secret);
    const subscription = this.repo.create({
      id: newId('subscription'),
      url: this.checkUrl(dto.url),
      eventTypes: this.checkEventTypes(dto.eventTypes),
      templateIds: dto.templateIds ?? [],
      description: dto.description ?? null,
      secretCiphertext: this.secretBox.seal(secret),
      previousSecretCiphertext: null,
      previousSecretExpiresAt: null,
      headers: this.checkHeaders(dto.headers ?? {}),
      userDefined: this.checkUserDefined(dto.userDefined ?? {}),
      payloadFormat: dto.payloadFormat ?? 'flat',
      enabled: dto.enabled ?? true,
    });
    await this.repo.save(subscription);
    this.logger.log(`subscription ${subscription.id} created`);
    return { ...toSubscriptionView(subscription), secret };
  }

  async list(q: ListSubscriptionsQuery): Promise<Page<SubscriptionView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const after = decodeCursor('subscription', q.cursor);
    const qb = this.repo.createQueryBuilder('s').orderBy('s.id', 'ASC').limit(limit + 1);
    if (after) qb.andWhere('s.id > :after', { after });
    if (q.enabled !== undefined) qb.andWhere('s.enabled = :enabled', { enabled: q.enabled });
    if (q.eventType !== undefined) {
      if (!isValidEventTypeFilter(q.eventType)) throw new UnknownEventType(q.eventType, 'eventType');
      // An exact type: every subscription that receives it. A wildcard: those that list it.
      const filters = isKnownEventType(q.eventType) ? [q.eventType, `${q.eventType.split('.')[0]}.*`, '*'] : [q.eventType];
      qb.andWhere('s.event_types && CAST(:filters AS text[])', { filters });
    }
    return toPage(await qb.getMany(), limit, toSubscriptionView);
  }

  async get(id: string): Promise<SubscriptionView> {
    return toSubscriptionView(await this.find(id));
  }

  async update(id: string, dto: UpdateSubscriptionDto): Promise<SubscriptionView> {
    const s = await this.find(id);
    if (dto.url !== undefined) s.url = this.checkUrl(dto.url);
    if (dto.eventTypes !== undefined) s.eventTypes = this.checkEventTypes(dto.eventTypes);
    if (dto.templateIds !== undefined) s.templateIds = dto.templateIds;
    if (dto.description !== undefined) s.description = dto.description;
    if (dto.headers !== undefined) s.headers = this.checkHeaders(dto.headers);
    if (dto.userDefined !== undefined) s.userDefined = this.checkUserDefined(dto.userDefined);
    if (dto.payloadFormat !== undefined) s.payloadFormat = dto.payloadFormat;
    if (dto.enabled !== undefined) s.enabled = dto.enabled;
    await this.repo.save(s);
    return toSubscriptionView(s);
  }

  /**
   * Stops the subscription's running deliveries, then deletes it; the foreign keys take its
   * deliveries, attempts and dead letters with it. A delivery that misses the cancel signal
   * (Temporal unreachable) still stops: its next attempt finds the subscription gone.
   */
  async remove(id: string): Promise<void> {
    const s = await this.find(id);
    const running = await this.dataSource.getRepository(Delivery).find({
      select: { id: true, eventId: true, subscriptionId: true },
      where: { subscriptionId: s.id, status: Not(In([...FINAL_DELIVERY_STATUSES])) },
    });
    let unsignalled = 0;
    await mapLimit(running, 16, (d) =>
      this.deliveries.cancel(d, 'subscription deleted').catch((err: unknown) => {
        unsignalled++;
        this.logger.warn(`delivery ${d.id}: cancel signal failed (${(err as Error).message}); it stops at its next attempt`);
      }),
    );
    await this.repo.delete({ id: s.id });
    this.logger.log(`subscription ${s.id} deleted; ${running.length - unsignalled} of ${running.length} running deliveries signalled to stop`);
  }

  async rotateSecret(id: string, given: string | undefined): Promise<SubscriptionWithSecret> {
    const s = await this.find(id);
    const secret = given ?? generateSecret();
    this.checkSecret(secret);
    if (secret === this.secretBox.open(s.secretCiphertext)) throw new ValidationFailed('The new secret must differ from the current one', { field: 'secret' }, 'invalid_secret');
    s.previousSecretCiphertext = s.secretCiphertext;
    s.previousSecretExpiresAt = new Date(Date.now() + PREVIOUS_SECRET_TTL_MS);
    s.secretCiphertext = this.secretBox.seal(secret);
    await this.repo.save(s);
    this.logger.log(`subscription ${s.id}: secret rotated; the previous one signs until ${s.previousSecretExpiresAt.toISOString()}`);
    return { ...toSubscriptionView(s), secret };
  }

  /**
   * Sends a sample `image.created` now, outside any delivery, and records it as an Attempt with
   * trigger `test`. Disabled subscriptions can be tested too.
   */
  async sendTest(id: string): Promise<AttemptView> {
    const s = await this.find(id);
    const attemptId = newId('attempt');
    const now = new Date();
    const event = { id: `evt_test_${attemptId.slice(4)}`, type: EVENT_TYPES[0].name, templateId: null, traceId: null, data: { ...SAMPLE_IMAGE_CREATED }, receivedAt: now };
    const body = buildBody(s.payloadFormat, event, s.userDefined);
    const headers = buildHeaders({
      signature: signatureHeaders({ webhookId: attemptId, timestamp: now, body, secrets: signingSecrets(s, (c) => this.secretBox.open(c), now) }),
      eventType: event.type,
      attemptNumber: 1,
      customHeaders: s.headers,
      userAgentVersion: HERALD_VERSION,
    });
    const startedAt = new Date();
    const outcome = await this.sender.send({ url: s.url, headers, body });
    const attempt = this.dataSource.getRepository(Attempt).create({
      id: attemptId,
      deliveryId: null,
      subscriptionId: s.id,
      number: 1,
      trigger: 'test',
      url: s.url,
      ok: outcome.ok,
      statusCode: outcome.statusCode,
      errorKind: outcome.errorKind,
      errorMessage: outcome.error,
      responseExcerpt: outcome.responseExcerpt?.slice(0, EXCERPT_LIMIT) ?? null,
      durationMs: Math.round(outcome.durationMs),
      startedAt,
      finishedAt: new Date(startedAt.getTime() + outcome.durationMs),
    });
    await this.dataSource.getRepository(Attempt).insert(attempt);
    return toAttemptView(attempt);
  }

  private async find(id: string): Promise<Subscription> {
    const s = await this.repo.findOneBy({ id });
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
    if (INVISIBLE_OR_CONTROL.test(url)) throw new TargetRefused('invalid_url', 'url refused: it contains whitespace, control or invisible characters (percent-encode them)', { kind: 'invalid_url' });
    const verdict = this.policy.checkUrl(url);
    if (!verdict.ok) throw new TargetRefused(verdict.kind === 'invalid_url' ? 'invalid_url' : 'url_not_allowed', `url refused: ${verdict.reason}`, { kind: verdict.kind });
    const host = verdict.url.hostname.toLowerCase().replace(/\.$/, '');
    if ((host === 'localhost' || host.endsWith('.localhost')) && !this.policy.isAllowedAddress('127.0.0.1', host)) {
      throw new TargetRefused('url_not_allowed', `url refused: ${host} is a loopback name`, { kind: 'ssrf_blocked' });
    }
    return url;
  }

  private checkEventTypes(filters: string[]): string[] {
    for (const f of filters) if (!isValidEventTypeFilter(f)) throw new UnknownEventType(f, 'eventTypes');
    return filters;
  }

  private checkHeaders(headers: Record<string, string>): Record<string, string> {
    const problems = validateCustomHeaders(headers);
    if (problems.length > 0) throw new ValidationFailed('headers are invalid', { field: 'headers', problems }, 'invalid_headers');
    return headers;
  }

  private checkUserDefined(value: Record<string, unknown>): Record<string, unknown> {
    const bytes = Buffer.byteLength(JSON.stringify(value));
    if (bytes > USER_DEFINED_MAX_BYTES) throw new ValidationFailed(`userDefined is ${bytes} bytes of JSON; at most ${USER_DEFINED_MAX_BYTES} are allowed`, { field: 'userDefined', bytes, limit: USER_DEFINED_MAX_BYTES }, 'user_defined_too_large');
    return value;
  }

  private checkSecret(secret: string): void {
    if (!isValidSecret(secret)) throw new ValidationFailed('secret must be `whsec_` followed by base64 of 24 to 64 random bytes', { field: 'secret' }, 'invalid_secret');
  }
}
