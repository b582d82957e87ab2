/** What the embedded server's thread and its host say to each other (in-worker.ts, worker-entry.ts). */
import type { EmbeddedMongoOptions, LogLevel } from './types.ts';

/** The options a thread can be given: everything but the log function, which stays with the host. */
export type WorkerOptions = Omit<EmbeddedMongoOptions, 'log'>;

export type WorkerMessage =
  | { type: 'ready'; url: string; port: number }
  | { type: 'failed'; message: string; code?: string }
  | { type: 'log'; level: LogLevel; msg: string; extra?: Record<string, unknown> }
  | { type: 'closed'; error?: string };

export type HostMessage = { type: 'close' };
