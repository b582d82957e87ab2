import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { AppError, toErrorBody } from '../domain/app-error.ts';

/**
 * The connection ceiling. Every socket holds a file descriptor, and so does every database and
 * Redis connection, HTTP request and open file; a process past its open-file limit fails them
 * all (`EMFILE`). So the hub reads its limit at start, keeps room for everything else, and
 * refuses new sockets beyond that at the engine.io handshake, before any per-socket state exists.
 */

/** Descriptors kept for the database pool (both ends when embedded), Redis, HTTP, files and node itself. */
export const RESERVED_FDS = 200;
/** And a share of the limit, for bursts of HTTP requests and sockets still closing. */
export const RESERVED_SHARE = 0.05;

/** The soft open-file limit: /proc/self/limits on Linux, else `ulimit -n`; null when unknown or unlimited. */
export function readOpenFileLimit(procLimits = '/proc/self/limits'): number | null {
  try {
    const m = /^Max open files\s+(\S+)/m.exec(readFileSync(procLimits, 'utf8'));
    if (m) return m[1] === 'unlimited' ? null : Number(m[1]);
  } catch {
    /* not Linux */
  }
  const r = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8', timeout: 2_000 });
  const n = Number(r.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

/** Without a known limit: the common default soft limit, so the ceiling errs on the safe side. */
export const FALLBACK_FD_LIMIT = 1_024;

/** The default `MAX_CONNECTIONS` for an open-file limit. */
export function defaultMaxConnections(fdLimit: number | null): number {
  const limit = fdLimit ?? FALLBACK_FD_LIMIT;
  return Math.max(1, Math.floor(limit * (1 - RESERVED_SHARE)) - RESERVED_FDS);
}

/** How long a refused client should wait: 10–30 s, jittered so a refused crowd does not return at once. */
export const retryAfterMs = (random = Math.random) => 10_000 + Math.floor(random() * 20_000);

/**
 * engine.io's `allowRequest`: admits a new connection while fewer than `max` are open, and
 * refuses the rest with `over_capacity` and a retry-after hint. engine.io answers a refused
 * WebSocket upgrade with HTTP 400 and a polling handshake with 403; the body carries our
 * error as JSON (`{code,message,retryAfterMs}`), and the socket is closed at once.
 */
export function admitUnder(
  max: number,
  open: () => number,
  onRefused: () => void,
): (req: IncomingMessage, fn: (err: string | null | undefined, success: boolean) => void) => void {
  return (_req, fn) => {
    if (open() < max) return fn(null, true);
    onRefused();
    const err = new AppError(
      'over_capacity',
      'This hub is full; reconnect later or to another instance',
      undefined,
      retryAfterMs(),
    );
    fn(JSON.stringify(toErrorBody(err)), false);
  };
}
