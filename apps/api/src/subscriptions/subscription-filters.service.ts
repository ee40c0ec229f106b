import { Inject, Injectable } from '@nestjs/common';
import type { Stores, TenantScope } from '../../../../libs/db/repositories';
import { matchChecks } from '../../../../libs/domain/matching';
import { filterProblem, isEmptyFilter, type PayloadFilter } from '../../../../libs/domain/payload-filter';
import { InvalidFilter, NotFound, ValidationFailed } from '../common/errors';
import { STORES } from '../infrastructure/tokens';
import type { FilterTestDto, FilterTestResult } from './dto/filter-test.dto';

/** A subscription's `filter` as stored: null for none (`{}` and null clear it); 422 naming the path when invalid. */
export function checkFilter(filter: Record<string, unknown> | null | undefined): PayloadFilter | null {
  if (isEmptyFilter(filter)) return null;
  const problem = filterProblem(filter);
  if (problem) throw new InvalidFilter(problem);
  return filter as PayloadFilter;
}

/** Trying a subscription's rule (types, templates, payload filter) on an event, without sending anything. */
@Injectable()
export class SubscriptionFiltersService {
  constructor(@Inject(STORES) private readonly stores: Pick<Stores, 'subscriptions'>) {}

  async test(id: string, dto: FilterTestDto, scope: TenantScope): Promise<FilterTestResult> {
    const s = await this.stores.subscriptions.find(id, scope);
    if (!s) throw new NotFound('subscription', id);
    const e = dto.event;
    if (!e) throw new ValidationFailed('The request is invalid', { problems: ['event must be an object'] });
    const checks = matchChecks(s, { type: e.type, templateId: e.templateId ?? null, tenantId: e.tenantId ?? s.tenantId, data: e.data ?? {} });
    return { matches: checks.eventType && checks.template && checks.filter, checks };
  }
}
