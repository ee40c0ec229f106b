import { Inject, Injectable } from '@nestjs/common';
import type { ValidateFunction } from 'ajv';
import type { Stores } from '../../../../libs/db/repositories';
import { parseEventTypeFilter } from '../../../../libs/domain/event-types';
import { EventTypeArchived, InvalidEventPayload, UnknownEventType } from '../common/errors';
import { STORES } from '../infrastructure/tokens';
import { compileSchema, schemaProblems } from './json-schema';

/**
 * What the rest of the API asks of the catalog: is this event valid for its type, may a
 * subscription list these filters.
 *
 * Compiled validators are cached per type and version. An event's check reads nothing when its
 * type's validator is cached (`validatedVersion`): the accepting INSERT itself confirms that the
 * type is still at the version validated against and not archived
 * (EventRepository.insertManyIfAbsent), and an event it refuses for that is checked again with
 * `checkEvent`, which re-reads the type's version and archived flag. So a schema change or an
 * archive made through any API replica applies on every replica from the next request: no TTL
 * to wait out, no invalidation message to lose. Only a version this replica has not seen reads
 * the schema and compiles it.
 */
@Injectable()
export class EventCatalog {
  private readonly validators = new Map<string, { version: number; validate: ValidateFunction }>();
  /**
   * Schemas being read and compiled, by type and version: the requests of a burst that find a
   * type not cached yet share one read and one compile (a version's schema never changes).
   */
  private readonly compiling = new Map<string, Promise<{ version: number; validate: ValidateFunction } | null>>();

  constructor(@Inject(STORES) private readonly stores: Pick<Stores, 'eventTypes'>) {}

  /**
   * 422 unless `type` is in the catalog, not archived, and `data` passes its current schema;
   * the version of the type it passed.
   */
  async checkEvent(type: string, data: Record<string, unknown>): Promise<number> {
    const { version, validate } = await this.validatorFor(type);
    if (!validate(data)) throw new InvalidEventPayload(type, schemaProblems(validate));
    return version;
  }

  /**
   * Without reading the catalog: the version of `type` whose cached validator `data` passes, for
   * the accepting INSERT to confirm. Undefined when no validator is cached or the data fails it
   * (the schema may have changed since): then `checkEvent` decides.
   */
  validatedVersion(type: string, data: Record<string, unknown>): number | undefined {
    const cached = this.validators.get(type);
    return cached && cached.validate(data) ? cached.version : undefined;
  }

  /** 422 unless every filter is `*`, a well-formed family, or a type of the catalog that is not archived. */
  async checkSubscriptionFilters(filters: readonly string[], field = 'eventTypes'): Promise<void> {
    const exact: string[] = [];
    for (const f of filters) {
      const parsed = parseEventTypeFilter(f);
      if (!parsed) throw new UnknownEventType(f, field);
      if (parsed.kind === 'exact') exact.push(parsed.name);
    }
    const active = await this.stores.eventTypes.listActiveNames(exact);
    for (const name of exact) {
      if (active.has(name)) continue;
      throw (await this.stores.eventTypes.findStamp(name)) ? new EventTypeArchived(name, field) : new UnknownEventType(name, field);
    }
  }

  /** Drops this replica's validator of a type it just changed (others notice the version). */
  forget(name: string): void {
    this.validators.delete(name);
  }

  private async validatorFor(name: string): Promise<{ version: number; validate: ValidateFunction }> {
    const stamp = await this.stores.eventTypes.findStamp(name);
    if (!stamp) throw new UnknownEventType(name);
    if (stamp.archivedAt) throw new EventTypeArchived(name);
    const cached = this.validators.get(name);
    if (cached?.version === stamp.version) return cached;
    const key = `${name}@${stamp.version}`;
    let compiled = this.compiling.get(key);
    if (!compiled) {
      compiled = this.compile(name).finally(() => this.compiling.delete(key));
      this.compiling.set(key, compiled);
    }
    const fresh = await compiled;
    if (!fresh) throw new UnknownEventType(name);
    return fresh;
  }

  /** Reads the type's schema as it is now and compiles it; the cached validator from then on. */
  private async compile(name: string): Promise<{ version: number; validate: ValidateFunction } | null> {
    const type = await this.stores.eventTypes.find(name);
    if (!type) return null;
    const fresh = { version: type.version, validate: compileSchema(type.schema) };
    // A slower compile of an older version never replaces a newer one.
    if ((this.validators.get(name)?.version ?? -1) <= fresh.version) this.validators.set(name, fresh);
    return fresh;
  }
}
