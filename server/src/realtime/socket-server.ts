import type http from 'node:http';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import type { RedisClientType } from 'redis';
import { Server } from 'socket.io';
import { LIMITS } from '@activity-hub/protocol';
import { admitUnder } from './connection-ceiling.ts';

/** The Redis connections the adapter publishes and subscribes on (app.ts hands over the hub's own). */
export interface AdapterClients {
  pub: RedisClientType;
  sub: RedisClientType;
}

/**
 * The socket.io server. With Redis it uses the sharded adapter (SPUBLISH/SSUBSCRIBE, Redis 7)
 * in dynamic mode: each agency room gets its own channel, so an instance only hears the
 * agencies its dashboards watch. Connection-state recovery stays off: it does not work with
 * the Redis adapter, and dashboards re-sync a snapshot on reconnect instead. Beyond
 * `maxConnections` open connections a new one is refused with `over_capacity`.
 */
export function createSocketServer(
  server: http.Server,
  corsOrigins: string[] | '*',
  redis: AdapterClients | null,
  ceiling: { maxConnections: number; onRefused: () => void },
): Server {
  const io: Server = new Server(server, {
    transports: ['websocket', 'polling'],
    maxHttpBufferSize: LIMITS.collectBodyBytes,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    cors: { origin: corsOrigins === '*' ? true : corsOrigins, credentials: false },
    serveClient: false,
    // Decided before engine.io creates anything for the connection, so a refusal costs nothing.
    allowRequest: admitUnder(ceiling.maxConnections, () => io.engine.clientsCount, ceiling.onRefused),
  });
  if (redis) io.adapter(createShardedAdapter(redis.pub, redis.sub, { subscriptionMode: 'dynamic' }));
  return io;
}
