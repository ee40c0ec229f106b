import { Module } from '@nestjs/common';
import { SessionController } from './session.controller';

/** `GET /v1/whoami`: what the console (and any client) learns about its own token. */
@Module({ controllers: [SessionController] })
export class SessionModule {}
