import { Module } from '@nestjs/common';
import { EventCatalog } from './event-catalog';
import { EventTypesController } from './event-types.controller';
import { EventTypesService } from './event-types.service';

/** The catalog's routes, and EventCatalog for the events and subscriptions modules. */
@Module({ controllers: [EventTypesController], providers: [EventTypesService, EventCatalog], exports: [EventCatalog] })
export class EventTypesModule {}
