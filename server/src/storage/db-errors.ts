import { AppError } from '../domain/app-error.ts';
import { DB_RETRY_AFTER_MS } from './db-options.ts';

/** Driver errors that mean "the database cannot be reached now", not "this request is wrong". */
const TRANSIENT_NAMES = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoPoolClearedError',
  'MongoWaitQueueTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoOperationTimeoutError',
]);

/** Socket errors (EMFILE: this process ran out of file descriptors for new connections). */
const TRANSIENT_SYSCALL = new Set([
  'EMFILE',
  'ENFILE',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
]);

/** Server codes of a replica set changing primary or shutting down (all retryable). */
const TRANSIENT_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

interface MaybeDriverError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  errorLabels?: unknown;
}

/** True when `err` (or what caused it) says the database is out of reach. */
export function isDbUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 4) return false;
  const e = err as MaybeDriverError;
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && TRANSIENT_SYSCALL.has(e.code)) return true;
  if (typeof e.code === 'number' && TRANSIENT_CODES.has(e.code)) return true;
  if (Array.isArray(e.errorLabels) && e.errorLabels.includes('RetryableWriteError')) return true;
  if (typeof e.message === 'string' && /buffering timed out|pool .* cleared|connection .* closed/i.test(e.message))
    return true;
  return isDbUnavailable(e.cause, depth + 1);
}

/** The error a caller sees while the database is out: `unavailable`, with a retry-after hint. */
export function dbUnavailable(): AppError {
  return new AppError('unavailable', 'The database is unavailable', undefined, DB_RETRY_AFTER_MS);
}

/** Classifies a storage error: database network errors become `unavailable`, others pass. */
export function classifyDbError(err: unknown): unknown {
  return isDbUnavailable(err) ? dbUnavailable() : err;
}
