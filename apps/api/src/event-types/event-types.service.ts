import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EventType } from '../../../../libs/db/entities';
import type { Stores } from '../../../../libs/db/repositories';
import { isValidEventTypeName } from '../../../../libs/domain/event-types';
import { canonical } from '../common/canonical-json';
import { isOperationalEventType } from '../../../../libs/domain/operational-events';
import { Conflict, ReservedEventType, EventTypeExists, EventTypeNotFound, IncompatibleSchema, InvalidEventTypeSchema } from '../common/errors';
import { STORES } from '../infrastructure/tokens';
import type { CreateEventTypeDto } from './dto/create-event-type.dto';
import { toEventTypeView, type EventTypeView } from './dto/event-type.view';
import type { ListEventTypesQuery } from './dto/list-event-types.query';
import type { UpdateEventTypeDto } from './dto/update-event-type.dto';
import { EventCatalog } from './event-catalog';
import { compileSchema, schemaProblems } from './json-schema';

/** Schemas are stored and sent back in full: kept to a size a catalog row should have. */
export const SCHEMA_MAX_BYTES = 64 * 1024;
export const EXAMPLE_MAX_BYTES = 64 * 1024;

/** The catalog's CRUD. Validation of events and subscription filters against it is EventCatalog's. */
@Injectable()
export class EventTypesService {
  private readonly logger = new Logger('EventTypesService');

  constructor(
    @Inject(STORES) private readonly stores: Pick<Stores, 'eventTypes'>,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
  ) {}

  async create(dto: CreateEventTypeDto): Promise<EventTypeView> {
    if (isOperationalEventType(dto.name)) throw new ReservedEventType(dto.name, 'name');
    this.checkCompatible(dto.name, dto.schema, [['given', dto.example]]);
    const inserted = await this.stores.eventTypes.insertIfAbsent(
      { name: dto.name, description: dto.description, schema: dto.schema, example: dto.example, group: dto.group ?? null },
      new Date(),
    );
    if (!inserted) throw new EventTypeExists(dto.name);
    this.logger.log(`event type ${dto.name} created`);
    return this.get(dto.name);
  }

  async list(q: ListEventTypesQuery): Promise<EventTypeView[]> {
    return (await this.stores.eventTypes.list({ group: q.group, includeArchived: q.includeArchived })).map(toEventTypeView);
  }

  async get(name: string): Promise<EventTypeView> {
    return toEventTypeView(await this.find(name));
  }

  /**
   * Changes what is given. A schema that differs from the stored one must accept the stored
   * example and the new one; it bumps the version. A PATCH that changes nothing changes nothing
   * (no version bump), so `herald event-types apply` can run again and again.
   */
  async update(name: string, dto: UpdateEventTypeDto): Promise<EventTypeView> {
    const current = await this.find(name);
    const schemaChanged = dto.schema !== undefined && canonical(dto.schema) !== canonical(current.schema);
    const exampleChanged = dto.example !== undefined && canonical(dto.example) !== canonical(current.example);
    if (schemaChanged || exampleChanged) {
      const examples: ['stored' | 'given', Record<string, unknown>][] = [];
      if (schemaChanged) examples.push(['stored', current.example]);
      if (dto.example !== undefined) examples.push(['given', dto.example]);
      this.checkCompatible(name, schemaChanged ? dto.schema! : current.schema, examples);
    }
    const fields = {
      ...(dto.description !== undefined && dto.description !== current.description ? { description: dto.description } : {}),
      ...(schemaChanged ? { schema: dto.schema } : {}),
      ...(exampleChanged ? { example: dto.example } : {}),
      ...(dto.group !== undefined && dto.group !== current.group ? { group: dto.group } : {}),
    };
    if (Object.keys(fields).length === 0) return toEventTypeView(current);
    if (!(await this.stores.eventTypes.update(name, current.version, fields, new Date()))) {
      throw new Conflict('event_type_changed', `Event type ${name} changed meanwhile; read it again and retry`, { name });
    }
    if (schemaChanged) {
      this.catalog.forget(name);
      this.logger.log(`event type ${name}: schema version ${current.version + 1}`);
    }
    return this.get(name);
  }

  /** Archives it (idempotent): refused for new events and subscriptions, kept for history. */
  async archive(name: string): Promise<EventTypeView> {
    await this.find(name);
    await this.stores.eventTypes.archive(name, new Date());
    this.logger.log(`event type ${name} archived`);
    return this.get(name);
  }

  private async find(name: string): Promise<EventType> {
    const t = isValidEventTypeName(name) ? await this.stores.eventTypes.find(name) : null;
    if (!t) throw new EventTypeNotFound(name.length > 300 ? `${name.slice(0, 300)}…` : name);
    return t;
  }

  /** The schema compiles and accepts each example; else 422 naming the first path it refuses. */
  private checkCompatible(name: string, schema: Record<string, unknown>, examples: ['stored' | 'given', Record<string, unknown>][]): void {
    const bytes = Buffer.byteLength(JSON.stringify(schema));
    if (bytes > SCHEMA_MAX_BYTES) throw new InvalidEventTypeSchema(`it is ${bytes} bytes of JSON; at most ${SCHEMA_MAX_BYTES} are allowed`);
    let validate;
    try {
      validate = compileSchema(schema);
    } catch (err) {
      throw new InvalidEventTypeSchema((err as Error).message);
    }
    for (const [which, example] of examples) {
      const exampleBytes = Buffer.byteLength(JSON.stringify(example));
      if (exampleBytes > EXAMPLE_MAX_BYTES)
        throw new IncompatibleSchema(name, which, {
          path: '/',
          message: `the example is ${exampleBytes} bytes of JSON; at most ${EXAMPLE_MAX_BYTES} are allowed`,
        });
      if (!validate(example)) throw new IncompatibleSchema(name, which, schemaProblems(validate)[0] ?? { path: '/', message: 'refused' });
    }
  }
}
