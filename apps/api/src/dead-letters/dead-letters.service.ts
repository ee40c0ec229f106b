import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DeadLetter } from '../../../../libs/db/entities';
import type { Stores, TenantScope } from '../../../../libs/db/repositories';
import { mapLimit } from '../common/concurrency';
import { NotFound } from '../common/errors';
import { decodeCursor, DEFAULT_LIMIT, timeRange, toPage, type Page } from '../common/pagination';
import { DeliveriesService } from '../deliveries/deliveries.service';
import { STORES } from '../infrastructure/tokens';
import { BULK_RETRY_LIMIT, type BulkRetryDto, type BulkRetryResult } from './dto/bulk-retry.dto';
import { toDeadLetterView, type DeadLetterRetryAccepted, type DeadLetterView } from './dto/dead-letter.view';
import type { ListDeadLettersQuery } from './dto/list-dead-letters.query';

@Injectable()
export class DeadLettersService {
  private readonly logger = new Logger('DeadLettersService');

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'deadLetters'>,
    @Inject(DeliveriesService) private readonly deliveries: DeliveriesService,
  ) {}

  async list(q: ListDeadLettersQuery, scope: TenantScope): Promise<Page<DeadLetterView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const cursor = decodeCursor('deadLetter', q.cursor);
    const filter = { ...scope, subscriptionId: q.subscriptionId, eventType: q.eventType, ...timeRange(q) };
    return toPage(await this.stores.deadLetters.listPage(filter, { cursor, limit }), limit, toDeadLetterView);
  }

  async get(id: string, scope: TenantScope): Promise<DeadLetterView> {
    return toDeadLetterView(await this.find(id, scope));
  }

  /** A new run of the delivery with one `manual` attempt; success removes the dead letter, failure updates it. */
  async retry(id: string, scope: TenantScope): Promise<DeadLetterRetryAccepted> {
    const letter = await this.find(id, scope);
    const delivery = await this.deliveries.find(letter.deliveryId, scope);
    return { id: letter.id, deliveryId: delivery.id, mode: await this.deliveries.retryDelivery(delivery) };
  }

  /**
   * Restarts up to BULK_RETRY_LIMIT matching dead letters, oldest first. Dead letters whose retry
   * is already in flight are skipped, so calling again until `remaining` is 0 makes progress.
   */
  async bulkRetry(dto: BulkRetryDto, scope: TenantScope): Promise<BulkRetryResult> {
    const filter = { ...scope, subscriptionId: dto.subscriptionId, ...timeRange(dto) };
    const total = await this.stores.deadLetters.countRetryable(filter);
    const batch = await this.stores.deadLetters.listRetryable(filter, BULK_RETRY_LIMIT);
    const failures: unknown[] = [];
    const outcomes = await mapLimit(batch, 16, (d) =>
      this.deliveries.retryDelivery(d).then(
        () => true,
        (err: unknown) => {
          failures.push(err);
          return false;
        },
      ),
    );
    const restarted = outcomes.filter(Boolean).length;
    if (restarted === 0 && failures.length > 0) throw failures[0];
    if (failures.length > 0)
      this.logger.warn(`bulk retry: ${failures.length} of ${batch.length} dead letters could not be restarted (${(failures[0] as Error).message})`);
    this.logger.log(`bulk retry: ${restarted} dead letters restarted`);
    return { restarted, remaining: total - restarted };
  }

  async discard(id: string, scope: TenantScope): Promise<void> {
    if (!(await this.stores.deadLetters.delete(id, scope))) throw new NotFound('dead_letter', id);
    this.logger.log(`dead letter ${id} discarded`);
  }

  /** Another tenant's dead letter is not found, exactly like one that does not exist. */
  private async find(id: string, scope: TenantScope): Promise<DeadLetter> {
    const letter = await this.stores.deadLetters.find(id, scope);
    if (!letter) throw new NotFound('dead_letter', id);
    return letter;
  }
}
