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
import { MemoryPresenceStore } from './storage/memory-presence.ts';
import { MemoryRateLimiter } from './storage/memory-rate-limiter.ts';
import type { RateLimiter } from './domain/rate-limiter.ts';
import { EngagedLedger } from './domain/engaged-ledger.ts';
import { eraseUserActivity } from './domain/erasure.ts';
import { heatmap } from './domain/heatmap.ts';
import { RetentionJob, retentionCutoff } from './domain/retention-job.ts';
import { RollupJob } from './domain/rollup-job.ts';
import { TabRegistry } from './domain/tab-registry.ts';
import { TrackingMaintenance } from './domain/tracking-maintenance.ts';
import { TrackingService } from './domain/tracking-service.ts';
import { ledgerHorizon } from './domain/tracking-transitions.ts';
import { WriteBatcher } from './domain/write-batcher.ts';
import { docsRoutes } from './http/docs-routes.ts';
import { limitPerToken, limitSignIn } from './http/rate-limits.ts';
import { buildHttpApp } from './http/http-app.ts';
import { requireAuth } from './http/require-auth.ts';
import { routeRouters } from './http/route-table.ts';
import { findRoot, staticRoutes } from './http/static-routes.ts';
import { DEMO_USERS } from './identity/demo-users.ts';
import { resolveHubSecret } from './identity/hub-secret.ts';
import { createTokenService } from './identity/hub-tokens.ts';
import { createUpstreamVerifier } from './identity/upstream-jwt.ts';
import { createLogger, type Logger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { registerLiveNamespace } from './realtime/live-namespace.ts';
import { RoomPublisher } from './realtime/live-publisher.ts';
import { defaultMaxConnections, readOpenFileLimit } from './realtime/connection-ceiling.ts';
import { createSocketServer } from './realtime/socket-server.ts';
import { registerTrackNamespace } from './realtime/track-namespace.ts';
import { MongoActivityRepository } from './storage/activity-repo.ts';
import { eraseRollups } from './storage/activity-purge.ts';
import { openDatabase, type Database } from './storage/database.ts';
import { MongoHistoryRepository } from './storage/history-repo.ts';
import { RedisPresenceStore } from './storage/redis-presence.ts';
import { RedisRateLimiter } from './storage/redis-rate-limiter.ts';
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
  /** The connection ceiling and the open-file limit it came from (null: unknown or unlimited). */
  capacity: { maxConnections: number; openFileLimit: number | null };
  retention: RetentionJob;
  /** Listens on HOST:PORT; resolves with the base URL. */
  listen(): Promise<string>;
  /** Graceful shutdown: stop accepting, send sockets elsewhere, flush, close. */
  close(): Promise<void>;
}

/**
 * Wires the hub together. Nothing else joins the layers. `onDatabaseLost`: the embedded
 * database's thread stopped on its own (main.ts shuts the hub down).
 */
export async function createHub(
  config: Config,
  opts: { log?: Logger; onDatabaseLost?: (err: Error) => void } = {},
): Promise<Hub> {
  const log = opts.log ?? createLogger(config.LOG_LEVEL, { instance: config.INSTANCE_ID ?? process.pid });
  const metrics = createMetrics();
  const db = await openDatabase({
    mongoUrl: config.MONGO_URL,
    dataDir: config.DATA_DIR,
    log,
    ...(opts.onDatabaseLost ? { onLost: opts.onDatabaseLost } : {}),
  });
  const redis = config.REDIS_URL
    ? await connectRedis(config.REDIS_URL, log, () => metrics.dependencyErrors.inc({ dependency: 'redis' }))
    : null;
  // Presence outlives the sweeper's deadline: a tab whose instance died must still be present
  // when some sweeper closes its page view, or no dashboard would ever hear it went offline.
  const presenceTtl = config.STALE_AFTER_MS + 2 * config.SWEEP_INTERVAL_MS;
  const presence = redis ? new RedisPresenceStore(redis.pub, presenceTtl) : new MemoryPresenceStore(presenceTtl);
  // Rate budgets per user, token and IP: shared through Redis by every instance when there is one.
  const limiter: RateLimiter = redis
    ? new RedisRateLimiter(redis.pub, config.RATE_LIMITS, {
        syncMs: config.RATE_LIMIT_SYNC_MS,
        onError: () => metrics.dependencyErrors.inc({ dependency: 'redis' }),
      })
    : new MemoryRateLimiter(config.RATE_LIMITS);
  metrics.countRateLimited(() => limiter.refused);
  const tokens = createTokenService({ secret: resolveHubSecret(config, log), ttlSec: config.TOKEN_TTL_SEC });
  const verify = (t: string) => tokens.verify(t);
  // Each entry point checks the token's scope: a tracker's token may only track.
  const verifyLive = verifierFor(verify, 'live');
  const verifyTrack = verifierFor(verify, 'track');
  // Every storage port goes through the database's availability gate (storage/db-guard.ts).
  const repo = db.guard(new MongoTrackingRepository(db.conn, db.models, () => db.availability.lastOutage));
  const history = db.guard(new MongoHistoryRepository(db.models));
  // History statistics: 15-minute rollups kept up to date by a leased periodic job, and caught
  // up before every statistics read (see domain/rollup-job.ts).
  const statsStorage = await openStatsStorage(db, () => retentionCutoff(Date.now(), config.RETENTION_DAYS));
  const activity = db.guard(new MongoActivityRepository(db.models, statsStorage.collections));
  const owner = `${config.INSTANCE_ID ?? process.pid}:${randomUUID()}`;
  const rollupJob = new RollupJob(db.guard(statsStorage.rollups), db.guard(statsStorage.jobState), {
    owner,
    intervalMs: config.ROLLUP_INTERVAL_MS,
    // Renewed every run: a lease that outlives a few runs keeps the job on one instance.
    leaseMs: Math.max(30_000, 3 * config.ROLLUP_INTERVAL_MS),
    // A write stamped this long before it lands is still read (the driver's socket timeout, so
    // a flush held up in a slow database, and clocks of instances this far apart): a periodic run
    // rolls up an open page view only once it closes, so a close it missed would be missed whole.
    marginMs: 30_000,
    // Small steps, and a quarter of the loop at most: at 15,000 tabs a run is seconds of work,
    // which taken at once queued acks and live updates behind it (database in its own process:
    // navigation p99 325–451 ms; 95 ms with the job off; paced, 176–312 ms in steps of 2,000
    // keys, 146 ms in steps of 500).
    batchKeys: 500,
    busyShare: 0.25,
    clock: Date.now,
    onError: (err) => log.warn({ err }, 'rollup job failed'),
    onRun: (r) => {
      metrics.rollupRuns.inc({ kind: r.kind });
      metrics.rollupWork.inc({ kind: r.kind }, r.workMs / 1000);
      metrics.rollupPageviews.inc(r.changed);
      metrics.rollupKeys.inc(r.keys);
    },
  });
  const stats = new HistoryStats(db.guard(statsStorage.reader), (agencyId) => rollupJob.catchUpAgency(agencyId));
  const retention = new RetentionJob(db.guard(statsStorage.jobState), {
    owner,
    retentionDays: config.RETENTION_DAYS,
    intervalMs: config.RETENTION_INTERVAL_MS,
    leaseMs: Math.max(60_000, 2 * config.RETENTION_INTERVAL_MS),
    clock: Date.now,
    purge: (cutoff) => activity.purgeBefore(cutoff),
    onRun: (r) => (r.pageviews || r.sessions) && log.info(r, 'retention: raw activity deleted'),
    onError: (err) => log.warn({ err }, 'retention job failed'),
  });
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
  const openFileLimit = readOpenFileLimit();
  const maxConnections = config.MAX_CONNECTIONS ?? defaultMaxConnections(openFileLimit);
  metrics.connectionsMax.set(maxConnections);
  const io = createSocketServer(server, corsOrigins, redis, {
    maxConnections,
    onRefused: () => metrics.connectionsRefused.inc(),
  });
  const liveNsp = registerLiveNamespace(io, {
    verify: verifyLive,
    snapshot,
    limiter,
    policy: { allowed: config.PUBLIC_ORIGINS },
    metrics,
    log,
  });
  const liveFailed = (err: unknown) => {
    metrics.dependencyErrors.inc({ dependency: redis ? 'redis' : 'presence' });
    log.warn({ err }, 'live update failed');
  };
  const publisher = new RoomPublisher(liveNsp, { localRooms: redis === null, onError: liveFailed });
  const live = new LiveActivity(presence, publisher, config.HEARTBEAT_INTERVAL_MS, liveFailed);
  const batcher = new WriteBatcher(
    (ops) => applyOps(repo, ops),
    { intervalMs: config.FLUSH_INTERVAL_MS, urgentMs: config.URGENT_FLUSH_MS },
    (s) => {
      metrics.batchSize.observe(s.events);
      metrics.flushLatency.observe(s.ms);
      if (!s.ok) metrics.dependencyErrors.inc({ dependency: 'database' });
    },
  );
  // The in-memory mirror of this instance's tabs and the engaged-time ledger: filled by the
  // service as events arrive, kept in time by maintenance.
  const tabs = new TabRegistry();
  const limits = { toleranceMs: TIMING.engagedToleranceMs, replayWindowMs: TIMING.replayWindowMs };
  const ledger = new EngagedLedger(ledgerHorizon(limits));
  const service = new TrackingService({ repo, tabs, accounting: { limits, ledger }, live, batcher, clock: Date.now });
  const maintenance = new TrackingMaintenance({
    tabs,
    ledger,
    repo,
    live,
    presence,
    batcher,
    clock: Date.now,
    config: {
      staleAfterMs: config.STALE_AFTER_MS,
      sweepIntervalMs: config.SWEEP_INTERVAL_MS,
      disconnectGraceMs: config.DISCONNECT_GRACE_MS,
    },
    onError: (err, what) => log.warn({ err, what }, 'tracking maintenance failed'),
    onClosed: (reason, n) => metrics.pageviewsClosed.inc({ reason }, n),
  });
  registerTrackNamespace(io, {
    verify: verifyTrack,
    service,
    limiter,
    maintenance,
    metrics,
    log,
    isShuttingDown,
    policy: { allowed: config.TRACKER_ORIGINS },
    settings: { heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS, idleTimeoutMs: config.IDLE_TIMEOUT_MS },
  });
  const routes = routeRouters({
    // Sign-in
    config,
    tokens,
    upstream: createUpstreamVerifier(config),
    demoUsers: DEMO_USERS,
    // The beacon fallback
    verify: verifyTrack,
    service,
    limiter,
    spec: docs.spec,
    // Health
    checks: [
      { name: 'database', check: () => repo.ping() },
      ...(redis ? [{ name: 'redis', check: () => redis.ping() }] : []),
    ],
    registry: metrics.registry,
    isShuttingDown,
    metricsToken: config.METRICS_TOKEN,
    // History and the activity log
    history,
    snapshot,
    stats,
    exporter: db.guard(statsStorage.exporter),
    activity,
    heatmap: (filter, spec) =>
      heatmap(db.guard(statsStorage.reader), (agencyId) => rollupJob.catchUpAgency(agencyId), filter, spec),
    erase: (claims, userId) =>
      eraseUserActivity(
        {
          erase: (a, u) => activity.eraseUser(a, u),
          eraseRollups: (a, u) => eraseRollups(statsStorage.collections, a, u),
          settle: (agencyId) => rollupJob.settle(agencyId),
          limiter,
          presence,
          offline: (agencyId, sessionId, at) => live.offline({ agencyId, sessionId, pageviewId: null, at }),
          audit: (line) => log.info(line, 'audit: activity erased'),
          clock: Date.now,
        },
        claims,
        userId,
      ),
  });
  handler = buildHttpApp(
    {
      health: routes.ops,
      publicApi: [routes.public],
      auth: requireAuth(tokens, 'api'),
      signInLimit: limitSignIn(limiter, config.TRUST_PROXY),
      restLimit: limitPerToken(limiter),
      privateApi: [routes.private],
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
  metrics.countOpenPageviews(() => tabs.openPageviews);
  maintenance.start();
  rollupJob.start();
  retention.start();

  return {
    config,
    log,
    server,
    io,
    db,
    tracking: service,
    maintenance,
    capacity: { maxConnections, openFileLimit },
    retention,
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
          void limiter.close();
          void retention.stop();
          publisher.close();
        },
      }),
  };
}
