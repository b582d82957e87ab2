import path from 'node:path';
import mongoose, { type Connection } from 'mongoose';
import type { Logger } from '../logger.ts';
import { startEmbeddedMongoInWorker } from '@activity-hub/embedded-mongo';
import { DbAvailability } from './db-availability.ts';
import { guardStorage } from './db-guard.ts';
import {
  DB_RETRY_AFTER_MS,
  DRIVER_DEFAULTS,
  driverOptions,
  HELLO_SUSPECT_MS,
  IN_PROCESS_OVERRIDES,
  IN_PROCESS_SUSPECT_MS,
} from './db-options.ts';
import { openTrackingModels, type Models } from './models.ts';

export interface Database {
  conn: Connection;
  models: Models;
  /** Where the data lives, for logs (no credentials). */
  description: string;
  /** Whether the database takes work now (driver monitoring); fails storage calls fast when not. */
  availability: DbAvailability;
  /** Wraps a repository or store: refused while the database is out, errors classified. */
  guard<T extends object>(storage: T): T;
  close(): Promise<void>;
}

const DB_NAME = 'activityhub';

/** True when the URL names a database (`mongodb://host/db`). */
function hasDbName(url: string): boolean {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(url);
  return !!m?.[1];
}

/** Hides credentials in a MongoDB URL before it is logged. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]+@/, '//***@');
}

/**
 * Connects to `MONGO_URL`, or starts the embedded MongoDB-wire server when it is unset
 * (single-machine default; `:memory:` keeps nothing on disk). The embedded server runs on a
 * thread of its own, so that its long commands never hold the hub's sockets and timers.
 * `onLost` is called if that thread stops without being closed: nothing can be stored then.
 */
export async function openDatabase(opts: {
  mongoUrl?: string | undefined;
  dataDir: string;
  log: Logger;
  onLost?: (err: Error) => void;
}): Promise<Database> {
  let url = opts.mongoUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    const dataDir = opts.dataDir === ':memory:' ? ':memory:' : path.resolve(opts.dataDir, 'mongo');
    const embedded = await startEmbeddedMongoInWorker({
      port: 0,
      dataDir,
      log: (level, msg, extra) => opts.log[level]({ ...extra, component: 'embedded-mongo' }, msg),
      onExit: (err) => {
        opts.log.fatal({ component: 'embedded-mongo', err }, 'embedded database thread stopped');
        opts.onLost?.(err);
      },
    });
    url = `${embedded.url.replace(/\/$/, '')}/${DB_NAME}`;
    stopEmbedded = () => embedded.close();
  }
  const inProcess = !opts.mongoUrl;
  const conn = mongoose.createConnection(url, {
    ...driverOptions(url),
    ...(inProcess ? IN_PROCESS_OVERRIDES : {}),
    ...(hasDbName(url) ? {} : { dbName: DB_NAME }),
    ...(opts.mongoUrl ? {} : { directConnection: true }),
  });
  await conn.asPromise();
  const client = conn.getClient();
  const availability = new DbAvailability(
    (up) =>
      up
        ? opts.log.warn({ component: 'database' }, 'database available again')
        : opts.log.error({ component: 'database', retryAfterMs: DB_RETRY_AFTER_MS }, 'database unavailable'),
    inProcess ? IN_PROCESS_SUSPECT_MS : HELLO_SUSPECT_MS,
  );
  availability.attach(client);
  // Open the pool now (minPoolSize): concurrent pings each check out a connection of their own.
  const minPool = client.options.minPoolSize || DRIVER_DEFAULTS.minPoolSize;
  await Promise.all(Array.from({ length: minPool }, () => conn.db!.command({ ping: 1 })));
  const models = await openTrackingModels(conn);
  return {
    conn,
    models,
    description: opts.mongoUrl
      ? redactUrl(opts.mongoUrl)
      : `embedded (${opts.dataDir === ':memory:' ? 'in memory' : path.resolve(opts.dataDir)})`,
    availability,
    guard: (storage) => guardStorage(availability, storage),
    async close() {
      availability.close();
      await conn.close();
      if (stopEmbedded) await stopEmbedded();
    },
  };
}
