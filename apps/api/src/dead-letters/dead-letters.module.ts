import { Module } from '@nestjs/common';
import { DeliveriesModule } from '../deliveries/deliveries.module';
import { DeadLettersController } from './dead-letters.controller';
import { DeadLettersService } from './dead-letters.service';

@Module({ imports: [DeliveriesModule], controllers: [DeadLettersController], providers: [DeadLettersService] })
export class DeadLettersModule {}
