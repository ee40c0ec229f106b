import { Module } from '@nestjs/common';
import { EventTypesModule } from '../event-types/event-types.module';
import { EventsController } from './events.controller';
import { EventsService } from './events.service';

@Module({ imports: [EventTypesModule], controllers: [EventsController], providers: [EventsService] })
export class EventsModule {}
