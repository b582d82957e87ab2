import type http from 'node:http';
import type { Server } from 'socket.io';
import { NAMESPACES, type Goodbye } from '@activity-hub/protocol';
import type { PresenceStore } from './domain/ports.ts';
import type { TrackingMaintenance } from './domain/tracking-maintenance.ts';
import type { WriteBatcher } from './domain/write-batcher.ts';
import type { Logger } from './logger.ts';
import type { Database } from './storage/database.ts';
import type { RedisClients } from './storage/redis-clients.ts';

export interface ShutdownParts {
  server: http.Server;
  io: Server;
  batcher: WriteBatcher;
  maintenance: TrackingMaintenance;
  db: Database;
  redis: RedisClients | null;
  presence: PresenceStore;
  log: Logger;
  timeoutMs: number;
  onStart: () => void;
}

const running = new WeakMap<http.Server, Promise<void>>();

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);

/**
 * Graceful shutdown, in order: stop accepting connections; ask every socket to reconnect
 * elsewhere (its open page views stay open and continue on the next instance); flush every
 * batch, so each acknowledged event is stored; close the database and Redis. Bounded in time.
 */
export function startShutdown(p: ShutdownParts): Promise<void> {
  const existing = running.get(p.server);
  if (existing) return existing;
  const done = (async () => {
    const started = Date.now();
    p.onStart();
    p.log.info('shutting down');
    p.server.close();
    const bye: Goodbye = { code: 'shutdown', message: 'This hub instance is restarting; reconnect', reconnect: true };
    for (const ns of [NAMESPACES.track, NAMESPACES.live]) {
      const nsp = p.io.of(ns);
      // `local`: with the Redis adapter a plain emit would reach every instance's sockets.
      nsp.local.emit('bye', bye);
      nsp.local.disconnectSockets(true);
    }
    p.maintenance.stop();
    const budget = () => Math.max(100, p.timeoutMs - (Date.now() - started));
    if ((await within(p.batcher.drain(), budget())) === 'timeout') p.log.error('flush did not finish in time');
    await within(new Promise<void>((r) => void p.io.close(() => r())), Math.min(1_000, budget()));
    p.server.closeAllConnections();
    await within(p.presence.close(), budget());
    if (p.redis) await within(p.redis.close(), budget());
    await within(p.db.close(), budget());
    p.log.info({ ms: Date.now() - started }, 'shut down');
  })();
  running.set(p.server, done);
  return done;
}
