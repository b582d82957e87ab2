/**
 * Embedded MongoDB-wire-compatible server.
 *
 * Mongoose and the official driver connect to it exactly as to a mongod
 * standalone (`mongodb://127.0.0.1:PORT/<db>`). Storage is in memory with an
 * optional journal + snapshot in `dataDir`; queries, updates and pipelines
 * are evaluated by mingo. See README-level notes in the module files.
 */
import { createServer, type Socket } from 'node:net';
import { Catalog } from './catalog.ts';
import { Dispatcher } from './command-dispatcher.ts';
import type { CommandContext, ServerInfo } from './commands/context.ts';
import { Connection } from './connection.ts';
import { CursorManager } from './cursor-manager.ts';
import { openDurableStore, type DurableStore } from './recovery.ts';
import { startTtlMonitor } from './ttl-monitor.ts';
import { DEFAULT_OPTIONS, defaultLog, type EmbeddedMongo, type EmbeddedMongoOptions } from './types.ts';

export type { EmbeddedMongo, EmbeddedMongoOptions, LogFn, LogLevel } from './types.ts';
export { SUPPORTED_COMMANDS } from './command-dispatcher.ts';
export { startEmbeddedMongoInWorker, WORKER_BUNDLE_NAME, type InWorkerOptions } from './in-worker.ts';

/** Version reported by buildInfo/serverStatus. */
export const EMBEDDED_VERSION = '7.0.0-embedded';

function checkOptions(opts: EmbeddedMongoOptions): void {
  if (typeof opts.dataDir !== 'string' || opts.dataDir === '')
    throw new TypeError("dataDir must be a directory path or ':memory:'");
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`invalid port ${String(opts.port)}`);
  for (const key of ['cursorTimeoutMs', 'ttlIntervalMs', 'compactThresholdBytes', 'slowMs'] as const) {
    const v = opts[key];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) throw new RangeError(`${key} must be a positive number`);
  }
}

/**
 * Starts the server. Resolves once it listens (and, with a data directory,
 * after the journal has been replayed).
 */
export async function startEmbeddedMongo(opts: EmbeddedMongoOptions): Promise<EmbeddedMongo> {
  checkOptions(opts);
  const log = opts.log ?? defaultLog;
  const host = opts.host ?? DEFAULT_OPTIONS.host;
  const store: DurableStore | null =
    opts.dataDir === ':memory:'
      ? null
      : await openDurableStore(opts.dataDir, {
          log,
          compactThresholdBytes: opts.compactThresholdBytes ?? DEFAULT_OPTIONS.compactThresholdBytes,
        });
  const catalog = store?.catalog ?? new Catalog();
  const cursors = new CursorManager(opts.cursorTimeoutMs ?? DEFAULT_OPTIONS.cursorTimeoutMs);
  const stopTtl = startTtlMonitor(catalog, opts.ttlIntervalMs ?? DEFAULT_OPTIONS.ttlIntervalMs, log);
  const dispatcher = new Dispatcher(store?.journal ?? null, log, opts.slowMs ?? DEFAULT_OPTIONS.slowMs);
  const connections = new Set<Connection>();
  const info: ServerInfo = {
    host,
    port: 0,
    startedAt: new Date(),
    version: EMBEDDED_VERSION,
    dataDir: opts.dataDir,
    connectionCount: () => connections.size,
  };
  let nextConnectionId = 1;

  const server = createServer((socket: Socket) => {
    const base: Omit<CommandContext, 'db'> = {
      catalog,
      cursors,
      connectionId: nextConnectionId++,
      peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`,
      server: info,
    };
    const conn = new Connection(socket, dispatcher, base, log);
    connections.add(conn);
    socket.on('close', () => connections.delete(conn));
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    stopTtl();
    cursors.close();
    await store?.close();
    throw err;
  }
  const address = server.address();
  info.port = typeof address === 'object' && address ? address.port : 0;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  log('info', 'embedded mongo listening', { host, port: info.port, dataDir: opts.dataDir });

  let closing: Promise<void> | null = null;
  return {
    url: `mongodb://${hostInUrl}:${info.port}/`,
    port: info.port,
    close: () => {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const conn of connections) conn.destroy();
        await stopped;
        stopTtl();
        cursors.close();
        await store?.close();
        log('info', 'embedded mongo stopped', { port: info.port });
      })();
      return closing;
    },
  };
}
