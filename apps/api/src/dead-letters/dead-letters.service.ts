import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type Repository, type SelectQueryBuilder } from 'typeorm';
import { DeadLetter, Delivery } from '../../../../libs/db/entities';
import { mapLimit } from '../common/concurrency';
import { NotFound } from '../common/errors';
import { decodeCursor, DEFAULT_LIMIT, timeRange, toPage, type Page } from '../common/pagination';
import { DeliveriesService } from '../deliveries/deliveries.service';
import { BULK_RETRY_LIMIT, type BulkRetryDto, type BulkRetryResult } from './dto/bulk-retry.dto';
import { toDeadLetterView, type DeadLetterRetryAccepted, type DeadLetterView } from './dto/dead-letter.view';
import type { ListDeadLettersQuery } from './dto/list-dead-letters.query';

@Injectable()
export class DeadLettersService {
  private readonly logger = new Logger('DeadLettersService');
  private readonly repo: Repository<DeadLetter>;

  constructor(
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(DeliveriesService) private readonly deliveries: DeliveriesService,
  ) {
    this.repo = dataSource.getRepository(DeadLetter);
  }

  async list(q: ListDeadLettersQuery): Promise<Page<DeadLetterView>> {
    const limit = q.limit ?? DEFAULT_LIMIT;
    const before = decodeCursor('deadLetter', q.cursor);
    const { since, until } = timeRange(q);
    const qb = this.repo.createQueryBuilder('l').orderBy('l.id', 'DESC').limit(limit + 1);
    if (before) qb.andWhere('l.id < :before', { before });
    if (q.subscriptionId) qb.andWhere('l.subscription_id = :subscriptionId', { subscriptionId: q.subscriptionId });
    if (q.eventType) qb.andWhere('l.event_type = :eventType', { eventType: q.eventType });
    if (since) qb.andWhere('l.created_at >= :since', { since });
    if (until) qb.andWhere('l.created_at <= :until', { until });
    return toPage(await qb.getMany(), limit, toDeadLetterView);
  }

  async get(id: string): Promise<DeadLetterView> {
    return toDeadLetterView(await this.find(id));
  }

  /** A new run of the delivery with one `manual` attempt; success removes the dead letter, failure updates it. */
  async retry(id: string): Promise<DeadLetterRetryAccepted> {
    const letter = await this.find(id);
    const delivery = await this.deliveries.find(letter.deliveryId);
    return { id: letter.id, deliveryId: delivery.id, mode: await this.deliveries.retryDelivery(delivery) };
  }

  /**
   * Restarts up to BULK_RETRY_LIMIT matching dead letters, oldest first. Dead letters whose retry
   * is already in flight are skipped, so calling again until `remaining` is 0 makes progress.
   */
  async bulkRetry(dto: BulkRetryDto): Promise<BulkRetryResult> {
    const { since, until } = timeRange(dto);
    const waiting = (): SelectQueryBuilder<Delivery> => {
      const qb = this.dataSource
        .getRepository(Delivery)
        .createQueryBuilder('d')
        .innerJoin(DeadLetter, 'l', 'l.delivery_id = d.id')
        .where(`d.status = 'dead_lettered'`);
      if (dto.subscriptionId) qb.andWhere('l.subscription_id = :subscriptionId', { subscriptionId: dto.subscriptionId });
      if (since) qb.andWhere('l.created_at >= :since', { since });
      if (until) qb.andWhere('l.created_at <= :until', { until });
      return qb;
    };
    const total = await waiting().getCount();
    const batch = await waiting().orderBy('l.id', 'ASC').limit(BULK_RETRY_LIMIT).getMany();
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
    if (failures.length > 0) this.logger.warn(`bulk retry: ${failures.length} of ${batch.length} dead letters could not be restarted (${(failures[0] as Error).message})`);
    this.logger.log(`bulk retry: ${restarted} dead letters restarted`);
    return { restarted, remaining: total - restarted };
  }

  async discard(id: string): Promise<void> {
    const result = await this.repo.delete({ id });
    if (!result.affected) throw new NotFound('dead_letter', id);
    this.logger.log(`dead letter ${id} discarded`);
  }

  private async find(id: string): Promise<DeadLetter> {
    const letter = await this.repo.findOneBy({ id });
    if (!letter) throw new NotFound('dead_letter', id);
    return letter;
  }
}
