/**
 * Shared types for the embedded MongoDB-compatible server.
 *
 * Kept in one small module so every layer (wire, commands, storage, journal)
 * agrees on the same shapes without importing each other in cycles.
 */
import type { Document } from 'bson';

export type { Document };

/** Log severity accepted by the `log` callback. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Logger callback; `extra` carries structured context (never secrets). */
export type LogFn = (level: LogLevel, msg: string, extra?: Record<string, unknown>) => void;

/** Options of {@link startEmbeddedMongo}. */
export interface EmbeddedMongoOptions {
  /** TCP port; 0 (default) picks a free port. */
  port?: number;
  /** Bind address; only loopback makes sense because there is no auth. */
  host?: string;
  /** Directory for journal + snapshot, or ':memory:' to keep nothing. */
  dataDir: string;
  /** Structured logger; defaults to JSON lines on stderr for warn/error. */
  log?: LogFn;
  /** Idle cursors are killed after this many ms (default 10 minutes). */
  cursorTimeoutMs?: number;
  /** Period of the TTL sweep in ms (default 60 s, like mongod). */
  ttlIntervalMs?: number;
  /** Journal size in bytes that triggers compaction into a snapshot (default 64 MiB). */
  compactThresholdBytes?: number;
  /** Commands that take longer are logged at `info` as `slow command` (default 100 ms, mongod's slowms). */
  slowMs?: number;
}

/** Handle returned by {@link startEmbeddedMongo}. */
export interface EmbeddedMongo {
  /** `mongodb://127.0.0.1:PORT/` – append a database name for mongoose. */
  url: string;
  port: number;
  /** Flushes the journal, closes every socket and stops timers. */
  close(): Promise<void>;
}

/** Defaults of the optional {@link EmbeddedMongoOptions}, mirroring mongod where it has one. */
export const DEFAULT_OPTIONS = {
  host: '127.0.0.1',
  /** mongod's cursorTimeoutMillis. */
  cursorTimeoutMs: 10 * 60_000,
  /** mongod's ttlMonitorSleepSecs. */
  ttlIntervalMs: 60_000,
  /** Journal size that triggers a snapshot; small enough to keep restarts fast. */
  compactThresholdBytes: 64 * 1024 * 1024,
  /** mongod's slowms. */
  slowMs: 100,
} as const;

/** Default logger: only warnings and errors, as JSON lines on stderr. */
export const defaultLog: LogFn = (level, msg, extra) => {
  if (level === 'warn' || level === 'error') {
    process.stderr.write(`${JSON.stringify({ level, msg, ...extra })}\n`);
  }
};
