import type http from 'node:http';
import { createShardedAdapter } from '@socket.io/redis-adapter';
import { Server } from 'socket.io';
import { LIMITS } from '@activity-hub/protocol';
import type { RedisClients } from '../storage/redis-clients.ts';

/**
 * The socket.io server. With Redis it uses the sharded adapter (SPUBLISH/SSUBSCRIBE, Redis 7)
 * in dynamic mode: each agency room gets its own channel, so an instance only hears the
 * agencies its dashboards watch. Connection-state recovery stays off: it does not work with
 * the Redis adapter, and dashboards re-sync a snapshot on reconnect instead.
 */
export function createSocketServer(
  server: http.Server,
  corsOrigins: string[] | '*',
  redis: RedisClients | null,
): Server {
  const io = new Server(server, {
    transports: ['websocket', 'polling'],
    maxHttpBufferSize: LIMITS.collectBodyBytes,
    pingInterval: 20_000,
    pingTimeout: 20_000,
    cors: { origin: corsOrigins === '*' ? true : corsOrigins, credentials: false },
    serveClient: false,
  });
  if (redis) io.adapter(createShardedAdapter(redis.pub, redis.sub, { subscriptionMode: 'dynamic' }));
  return io;
}
