import fs from 'node:fs';
import type { TestProject } from 'vitest/node';
import { startDatabaseTarget, type DatabaseKind } from './database-target.ts';
import { RedisServer } from './redis-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    mongoUrl: string;
    mongoKind: DatabaseKind;
  }
}

/**
 * Starts what every test file shares: a redis-server on a free port (Debian's package) and the
 * database (MONGO_URL, a mongod on PATH, or the embedded server). Under CI=true a missing
 * dependency fails the run loudly instead of skipping tests.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const redis = await RedisServer.start().catch((err: unknown) => {
    throw new Error(`Test harness: cannot start redis-server: ${(err as Error).message}`);
  });
  const db = await startDatabaseTarget();
  project.provide('redisUrl', redis.url);
  project.provide('mongoUrl', db.url);
  project.provide('mongoKind', db.kind);
  process.stdout.write(`[harness] ${project.name}: redis ${redis.url}, database ${db.kind} ${db.url}\n`);
  // scripts/run-tests.mjs names the database in the run's summary.
  const shown = db.url.replace(/\/\/[^@/]+@/, '//***@');
  fs.mkdirSync('test-artifacts', { recursive: true });
  fs.writeFileSync('test-artifacts/database.txt', `${db.kind} ${shown}\n`);
  return async () => {
    await db.stop();
    await redis.stop();
  };
}
