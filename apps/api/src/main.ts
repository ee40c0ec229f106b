import { loadConfigOrExit } from '../../../libs/config/config';
import { createLogger } from '../../../libs/observability/logger';
import { createApi } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const log = createLogger('api', config.logLevel, config.logFormat);
  const app = await createApi(config, { logger: log });
  await app.listen(config.api.port, config.api.host);
  log.info({ host: config.api.host, port: config.api.port }, 'api listening (OpenAPI at /docs, metrics at /metrics)');
}

main().catch((err: unknown) => {
  createLogger('api').fatal({ err }, 'api failed to start');
  process.exit(1);
});
