import { loadConfigOrExit } from '../config/config';
import { createDataSource } from './data-source';

/** `npm run migrate [-- --revert]`: applies pending migrations, or reverts the last one. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const dataSource = await createDataSource(config.databaseUrl, { applicationName: 'herald-migrate' }).initialize();
  try {
    if (process.argv.includes('--revert')) {
      await dataSource.undoLastMigration();
      process.stdout.write('reverted the last migration\n');
    } else {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      process.stdout.write(applied.length ? `applied ${applied.map((m) => m.name).join(', ')}\n` : 'schema is up to date\n');
    }
  } finally {
    await dataSource.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`herald migrate: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
