import type { ConnectOptions } from 'mongoose';

/**
 * The driver's timeouts and pool, chosen so that nothing waits forever when the database dies
 * (the process is gone) or hangs (the process is stopped and its port still accepts):
 *
 * - `heartbeatFrequencyMS` 1 s: the monitor notices a dead server within a second, and the
 *   availability gate (db-availability.ts) a silent one after `HELLO_SUSPECT_MS` (2 s) more.
 *   A busy embedded server can be that slow under load: calls are then refused for a moment
 *   and retried by their callers.
 * - `connectTimeoutMS` 5 s: also the monitor's hello timeout; when it runs out the driver marks
 *   the server unknown and interrupts the operations waiting on it.
 * - `socketTimeoutMS` 30 s: the last bound on one operation whose server still answers hellos.
 * - `serverSelectionTimeoutMS` 5 s and `waitQueueTimeoutMS` 5 s: bounds for start-up and for
 *   a pool that is busy; during an outage the gate answers before either is reached.
 * - `minPoolSize`: the pool is opened at start and kept open, so a reconnect storm of trackers
 *   cannot take the file descriptors the database needs.
 * - mongoose `bufferCommands: false`: a model call never queues behind a lost connection.
 *
 * Any of these in `MONGO_URL`'s query string wins over the default here.
 */
export const DRIVER_DEFAULTS = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  socketTimeoutMS: 30_000,
  waitQueueTimeoutMS: 5_000,
  heartbeatFrequencyMS: 1_000,
  maxPoolSize: 20,
  minPoolSize: 5,
} as const;

/** A monitor hello that has not answered after this long marks its server suspect. */
export const HELLO_SUSPECT_MS = 2_000;

/**
 * The embedded server runs on its own thread in the hub's process (database.ts); if that thread
 * stops, the hub is told (`onLost`: main.ts shuts it down). What it can do is be slow: one large
 * write (a seed, a 100k-row insert) holds its thread, on a core it may share with the hub, and
 * the tight monitor timeouts above would then call a busy server dead and interrupt the write.
 * So in-process, the monitor is patient; every other bound stays.
 */
export const IN_PROCESS_OVERRIDES = {
  connectTimeoutMS: 60_000,
  heartbeatFrequencyMS: 10_000,
  serverSelectionTimeoutMS: 30_000,
} as const;
export const IN_PROCESS_SUSPECT_MS = 60_000;

/** The retry hint given with `unavailable` while the database is out. */
export const DB_RETRY_AFTER_MS = 2_000;

/** Options of `MONGO_URL`'s query string, by lower-case name. */
function urlOptions(url: string): Set<string> {
  const q = url.indexOf('?');
  if (q < 0) return new Set();
  return new Set([...new URLSearchParams(url.slice(q + 1)).keys()].map((k) => k.toLowerCase()));
}

/** The connection options for `url`: our defaults, minus whatever the URL sets itself. */
export function driverOptions(url: string): ConnectOptions {
  const given = urlOptions(url);
  const defaults = Object.fromEntries(Object.entries(DRIVER_DEFAULTS).filter(([k]) => !given.has(k.toLowerCase())));
  return { ...defaults, bufferCommands: false, autoIndex: false };
}
