import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TIMING, type PresenceSnapshot } from '@activity-hub/protocol';
import type { Server } from 'socket.io';
import type { Config } from './config.ts';
import { scopeOf, verifierFor } from './domain/access.ts';
import { applyOps } from './domain/apply-ops.ts';
import { HistoryStats } from './domain/history-stats.ts';
import type { Claims } from './domain/identity.ts';
import { LiveActivity } from './domain/live-activity.ts';
import { MemoryPresenceStore } from './domain/memory-presence.ts';
import { RollupJob } from './domain/rollup-job.ts';
import { TrackingMaintenance } from './domain/tracking-maintenance.ts';
import { TrackingService } from './domain/tracking-service.ts';
import { WriteBatcher } from './domain/write-batcher.ts';
import { activityRoutes } from './http/activity-routes.ts';
import { collectRoute } from './http/collect-route.ts';
import { docsRoutes } from './http/docs-routes.ts';
import { healthRoutes } from './http/health-routes.ts';
import { historyRoutes } from './http/history-routes.ts';
import { buildHttpApp } from './http/http-app.ts';
import { requireAuth } from './http/require-auth.ts';
import { authRoutes } from './http/routes/auth-routes.ts';
import { findRoot, staticRoutes } from './http/static-routes.ts';
import { DEMO_USERS } from './identity/demo-users.ts';
import { resolveHubSecret } from './identity/hub-secret.ts';
import { createTokenService } from './identity/hub-tokens.ts';
import { createUpstreamVerifier } from './identity/upstream-jwt.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { registerLiveNamespace } from './realtime/live-namespace.ts';
import { RoomPublisher } from './realtime/live-publisher.ts';
import { createSocketServer } from './realtime/socket-server.ts';
import { registerTrackNamespace } from './realtime/track-namespace.ts';
import { openDatabase, type Database } from './storage/database.ts';
import { MongoHistoryRepository } from './storage/history-repo.ts';
import { RedisPresenceStore } from './storage/redis-presence.ts';
import { connectRedis } from './storage/redis-clients.ts';
import { openStatsStorage } from './storage/stats-storage.ts';
import { MongoTrackingRepository } from './storage/tracking-repo.ts';
import { startShutdown } from './shutdown.ts';

export interface Hub {
  config: Config;
  log: Logger;
  server: http.Server;
  io: Server;
  db: Database;
  tracking: TrackingService;
  maintenance: TrackingMaintenance;
  /** Listens on HOST:PORT; resolves with the base URL. */
  listen(): Promise<string>;
  /** Graceful shutdown: stop accepting, send sockets elsewhere, flush, close. */
  close(): Promise<void>;
}

/** Wires the hub together. Nothing else joins the layers. */
export async function createHub(config: Config, opts: { log?: Logger } = {}): Promise<Hub> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL, { instance: config.INSTANCE_ID ?? process.pid });
  const metrics = createMetrics();
  const db = await openDatabase({ mongoUrl: config.MONGO_URL, dataDir: config.DATA_DIR, log });
  const redis = config.REDIS_URL
    ? await connectRedis(config.REDIS_URL, log, () => metrics.dependencyErrors.inc({ dependency: 'redis' }))
    : null;
  // Presence outlives the sweeper's deadline: a tab whose instance died must still be present
  // when some sweeper closes its page view, or no dashboard would ever hear it went offline.
  const presenceTtl = config.STALE_AFTER_MS + 2 * config.SWEEP_INTERVAL_MS;
  const presence = redis ? new RedisPresenceStore(redis.pub, presenceTtl) : new MemoryPresenceStore(presenceTtl);
  const tokens = createTokenService({ secret: resolveHubSecret(config, log), ttlSec: config.TOKEN_TTL_SEC });
  const verify = (t: string) => tokens.verify(t);
  // Each entry point checks the token's scope: a tracker's token may only track.
  const verifyLive = verifierFor(verify, 'live');
  const verifyTrack = verifierFor(verify, 'track');
  const repo = new MongoTrackingRepository(db.conn, db.models);
  const history = new MongoHistoryRepository(db.models);
  // History statistics: 15-minute rollups kept up to date by a leased periodic job, and caught
  // up before every statistics read (see domain/rollup-job.ts).
  const statsStorage = await openStatsStorage(db);
  const rollupJob = new RollupJob(statsStorage.rollups, statsStorage.jobState, {
    owner: `${config.INSTANCE_ID ?? process.pid}:${randomUUID()}`,
    intervalMs: 5_000,
    leaseMs: 30_000,
    marginMs: 5_000,
    batchKeys: 2_000,
    clock: Date.now,
    onError: (err) => log.warn({ err }, 'rollup job failed'),
  });
  const stats = new HistoryStats(statsStorage.reader, () => rollupJob.catchUp());
  const docs = docsRoutes();
  let shuttingDown = false;
  const isShuttingDown = () => shuttingDown;

  const snapshot = async (claims: Claims): Promise<PresenceSnapshot> => {
    const scope = scopeOf(claims);
    return { entries: await presence.list(scope.agencyId, scope.userId), serverTime: Date.now() };
  };
  const corsOrigins =
    config.TRACKER_ORIGINS === '*' ? '*' : [...new Set([...config.PUBLIC_ORIGINS, ...config.TRACKER_ORIGINS])];
  // The request handler is attached before socket.io, which then passes it every non-socket request.
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  const io = createSocketServer(server, corsOrigins, redis);
  const liveNsp = registerLiveNamespace(io, {
    verify: verifyLive,
    snapshot,
    policy: { allowed: config.PUBLIC_ORIGINS },
    metrics,
    log,
  });
  const live = new LiveActivity(presence, new RoomPublisher(liveNsp), config.HEARTBEAT_INTERVAL_MS, (err) => {
    metrics.dependencyErrors.inc({ dependency: redis ? 'redis' : 'presence' });
    log.warn({ err }, 'live update failed');
  });
  const batcher = new WriteBatcher(
    (ops) => applyOps(repo, ops),
    config.FLUSH_INTERVAL_MS,
    (s) => {
      metrics.batchSize.observe(s.events);
      metrics.flushLatency.observe(s.ms);
      if (!s.ok) metrics.dependencyErrors.inc({ dependency: 'database' });
    },
  );
  const service = new TrackingService({ repo, live, batcher, clock: Date.now, toleranceMs: TIMING.engagedToleranceMs });
  const maintenance = new TrackingMaintenance(
    service,
    repo,
    live,
    presence,
    batcher,
    Date.now,
    {
      staleAfterMs: config.STALE_AFTER_MS,
      sweepIntervalMs: config.SWEEP_INTERVAL_MS,
      disconnectGraceMs: config.DISCONNECT_GRACE_MS,
    },
    (err, what) => log.warn({ err, what }, 'tracking maintenance failed'),
    (reason, n) => metrics.pageviewsClosed.inc({ reason }, n),
  );
  registerTrackNamespace(io, {
    verify: verifyTrack,
    service,
    maintenance,
    metrics,
    log,
    isShuttingDown,
    policy: { allowed: config.TRACKER_ORIGINS },
    settings: { heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS, idleTimeoutMs: config.IDLE_TIMEOUT_MS },
  });
  handler = buildHttpApp(
    {
      health: healthRoutes(
        [
          { name: 'database', check: () => repo.ping() },
          ...(redis ? [{ name: 'redis', check: () => redis.ping() }] : []),
        ],
        metrics.registry,
        isShuttingDown,
        config.METRICS_TOKEN,
      ),
      publicApi: [
        authRoutes({ config, tokens, upstream: createUpstreamVerifier(config), demoUsers: DEMO_USERS }),
        collectRoute(verifyTrack, service),
        docs.openapi,
      ],
      auth: requireAuth(tokens, 'api'),
      privateApi: [activityRoutes(history, snapshot), historyRoutes(stats, statsStorage.exporter)],
      pages: [
        docs.page,
        staticRoutes(findRoot(fileURLToPath(import.meta.url)), {
          frameAncestors: [
            ...new Set([
              ...config.FRAME_ANCESTORS,
              ...config.PUBLIC_ORIGINS,
              ...(config.TRACKER_ORIGINS === '*' ? [] : config.TRACKER_ORIGINS),
            ]),
          ],
        }),
      ],
      corsOrigins,
      trustProxy: config.TRUST_PROXY,
    },
    log,
    metrics,
  );
  metrics.countOpenPageviews(() => service.tabs.openPageviews);
  maintenance.start();
  rollupJob.start();

  return {
    config,
    log,
    server,
    io,
    db,
    tracking: service,
    maintenance,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.PORT, config.HOST, () => {
          const { port } = server.address() as AddressInfo;
          resolve(`http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${port}`);
        });
      }),
    close: () =>
      startShutdown({
        server,
        io,
        batcher,
        maintenance,
        db,
        redis,
        presence,
        log,
        timeoutMs: config.SHUTDOWN_TIMEOUT_MS,
        onStart: () => {
          shuttingDown = true;
          void rollupJob.stop();
        },
      }),
  };
}
