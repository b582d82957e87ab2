import { createClient, type RedisClientType } from 'redis';
import type { Logger } from '../logger.ts';

export interface RedisClients {
  /** Commands and publishing. */
  pub: RedisClientType;
  /** Subscriptions only (a subscribed connection cannot run other commands). */
  sub: RedisClientType;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Connects the two Redis clients the hub needs. Both reconnect forever with a capped backoff,
 * and both have error listeners: an unhandled 'error' event would crash the process.
 */
export async function connectRedis(url: string, log: Logger, onError: () => void): Promise<RedisClients> {
  const make = (role: string) => {
    const client = createClient({
      url,
      socket: {
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 6), 2_000),
        connectTimeout: 5_000,
      },
    }) as RedisClientType;
    let down = false;
    client.on('error', (err: Error) => {
      onError();
      if (!down) log.warn({ role, err: err.message }, 'redis error');
      down = true;
    });
    client.on('ready', () => {
      if (down) log.info({ role }, 'redis reconnected');
      down = false;
    });
    return client;
  };
  const pub = make('pub');
  const sub = make('sub');
  await Promise.all([pub.connect(), sub.connect()]);
  return {
    pub,
    sub,
    async ping() {
      // The subscriber counts too: until it is back (and has re-subscribed, which node-redis does
      // before 'ready'), events from other instances are lost, so the instance is not ready.
      if (!sub.isReady) throw new Error('redis subscriber is not ready');
      await pub.ping();
    },
    async close() {
      await Promise.allSettled([pub.quit(), sub.quit()]);
    },
  };
}
