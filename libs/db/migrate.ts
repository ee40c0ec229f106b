import { createDataSource } from './data-source';

/** `npm run migrate [-- --revert]`: applies pending migrations, or reverts the last one. */
async function main(): Promise<void> {
  // Only the database is needed here, so the rest of the configuration is not required.
  const url = process.env.DATABASE_URL;
  if (!url || !/^postgres(ql)?:\/\//.test(url)) {
    process.stderr.write('herald migrate: DATABASE_URL: must be a postgres:// URL\n');
    process.exit(78);
  }
  const dataSource = await createDataSource(url, { applicationName: 'herald-migrate' }).initialize();
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
