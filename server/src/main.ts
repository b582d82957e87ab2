import { ConfigError, loadConfig, type Config } from './config.ts';
import { createHub, type Hub } from './app.ts';
import { tuneHeap } from './heap-tuning.ts';

/** Starts the hub and shuts it down gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  tuneHeap(config.HEAP_GROWING_PERCENT);
  let hub: Hub | null = null;
  let stopping = false;
  // A signal, or the embedded database's thread gone (nothing could be stored): shut down
  // gracefully, then exit with `code` so that a supervisor restarts the hub.
  function stop(reason: string, code: number): void {
    if (stopping) return;
    stopping = true;
    process.exitCode = code;
    if (!hub) {
      process.stderr.write(`Activity Hub failed to start: ${reason}\n`);
      process.exit(code || 1);
    }
    const h = hub;
    h.log.info({ reason }, 'stop requested');
    const force = setTimeout(() => {
      h.log.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 2_000);
    force.unref();
    h.close().then(
      () => process.exit(code),
      (err: unknown) => {
        h.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  }
  hub = await createHub(config, { onDatabaseLost: () => stop('embedded database stopped', 1) });
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
  process.on('SIGINT', () => stop('SIGINT', 0));
  process.on('SIGTERM', () => stop('SIGTERM', 0));
  process.on('unhandledRejection', (err) => hub?.log.error({ err }, 'unhandled rejection'));
}

main().catch((err: unknown) => {
  process.stderr.write(`Activity Hub failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
