import 'reflect-metadata';
import { HttpStatus, ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { Config } from '../../../libs/config/config';
import { createLogger, type Logger } from '../../../libs/observability/logger';
import { HERALD_VERSION } from '../../../libs/version';
import { AppModule } from './app.module';
import { answerClientError } from './common/error.filter';
import { ErrorView } from './common/error.view';
import { jsonBodies } from './common/json-body';
import { NestPinoLogger } from './common/logger';
import { serveConsole } from './console/console';

/** Largest request body accepted (an event with its data); larger → 413. */
export const BODY_LIMIT = '256kb';

/**
 * Builds the admin API (not yet listening): used by main.ts and, in process, by the e2e tests.
 */
export async function createApi(config: Config, opts: { logger?: false | Logger } = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    logger: opts.logger === false ? false : new NestPinoLogger(opts.logger ?? createLogger('api', config.logLevel)),
  });
  app.set('trust proxy', 'loopback');
  app.getHttpServer().on('clientError', answerClientError);
  // JSON objects only, within the body limit (see jsonBodies for what else is refused).
  app.use(jsonBodies(BODY_LIMIT));
  // The console's static files at /console (built by scripts/bootstrap.sh).
  serveConsole(app, config);
  // A well-formed body with wrong fields is 422, like every domain validation; malformed JSON stays 400.
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
      errorHttpStatusCode: HttpStatus.UNPROCESSABLE_ENTITY,
    }),
  );
  app.enableShutdownHooks();

  SwaggerModule.setup('docs', app, openApiDocument(app), { jsonDocumentUrl: 'docs-json' });
  return app;
}

/**
 * The OpenAPI document served at /docs-json. scripts/openapi.ts calls it on an app created in
 * preview mode (no database, no Temporal) to write libs/api-client/openapi.json.
 */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Herald admin API')
      .setDescription(
        'Durable webhook delivery: subscriptions, events, deliveries, dead letters. Every error has the shape `{ error: { code, message, details } }`.',
      )
      .setVersion(HERALD_VERSION)
      .addBearerAuth()
      .addGlobalResponse({ status: 'default', description: 'An error, in the shape every error has', type: ErrorView })
      .build(),
  );
}
