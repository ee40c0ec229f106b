import { loadConfigOrExit } from '../../../libs/config/config';
import { createApi } from './app';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await createApi(config);
  await app.listen(config.api.port, config.api.host);
  process.stderr.write(`herald api: listening on http://${config.api.host}:${config.api.port} (OpenAPI at /docs)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`herald api: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
