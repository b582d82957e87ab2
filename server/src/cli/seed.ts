import { ConfigError, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openDatabase } from '../storage/database.ts';
import { openStatsStorage } from '../storage/stats-storage.ts';
import { parseSeedArgs, SEED_USAGE, SeedArgsError } from './seed-args.ts';
import { seedDatabase } from './seed-run.ts';

/**
 * `npm run seed -- --agencies A --users U --days D`: demo data in the database the hub is
 * configured for, opened exactly as the hub opens it. With the embedded server the hub must be
 * stopped first (the data directory is locked by its owner), or point MONGO_URL at a MongoDB.
 */
async function main(): Promise<void> {
  let options;
  try {
    options = parseSeedArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof SeedArgsError)) throw err;
    process.stderr.write(`seed: ${err.message}\n\n${SEED_USAGE}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(`${SEED_USAGE}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const db = await openDatabase({ mongoUrl: config.MONGO_URL, dataDir: config.DATA_DIR, log });
  try {
    const stats = await openStatsStorage(db);
    let shown = 0;
    const r = await seedDatabase(db, stats, options, (n) => {
      if (!process.stderr.isTTY || n - shown < 50_000) return;
      shown = n;
      process.stderr.write(`\r  ${n.toLocaleString('en-US')} page views…`);
    });
    if (shown) process.stderr.write('\n');
    const rate = Math.round(r.pageviews / Math.max(0.001, r.ms / 1000));
    process.stdout.write(
      `seeded ${r.agencies} agencies, ${r.users} users, ${options.days} days: ${r.pageviews.toLocaleString('en-US')} page views, ` +
        `${r.sessions.toLocaleString('en-US')} sessions, ${r.rollups.toLocaleString('en-US')} rollups in ${(r.ms / 1000).toFixed(1)} s ` +
        `(${rate.toLocaleString('en-US')} page views/s) into ${db.description}\n`,
    );
  } finally {
    await db.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
