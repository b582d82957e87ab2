import { ConfigError, loadConfig } from './config.ts';
import { createHub } from './app.ts';

/** Starts the hub and shuts it down gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const hub = await createHub(config);
  const url = await hub.listen();
  hub.log.info(
    {
      url,
      dashboard: `${url}/`,
      demo: `${url}/demo/`,
      database: hub.db.description,
      redis: config.REDIS_URL ? 'on' : 'off (single process)',
      maxConnections: hub.capacity.maxConnections,
      openFileLimit: hub.capacity.openFileLimit ?? 'unknown',
    },
    `Activity Hub listening on ${url}`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    hub.log.info({ signal }, 'signal received');
    const force = setTimeout(() => {
      hub.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 2_000);
    force.unref();
    hub.close().then(
      () => process.exit(0),
      (err: unknown) => {
        hub.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('unhandledRejection', (err) => hub.log.error({ err }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Activity Hub failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
