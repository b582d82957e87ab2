import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The hub's Prometheus metrics, on a registry of its own (one per hub, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  const ms = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
  let openPageviews = () => 0;
  let rateLimited: () => Readonly<Record<string, number>> = () => ({});
  const m = {
    /** Where `hub_pageviews_open` reads from; it is computed at each scrape, not sampled. */
    countOpenPageviews(source: () => number): void {
      openPageviews = source;
    },
    /** Where `hub_rate_limited_total` reads from: the limiter counts refusals without allocating. */
    countRateLimited(source: () => Readonly<Record<string, number>>): void {
      rateLimited = source;
    },
    registry,
    rateLimited: new Counter({
      name: 'hub_rate_limited_total',
      help: 'Requests and socket events refused for being over a rate budget, by budget',
      labelNames: ['budget'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [budget, n] of Object.entries(rateLimited())) this.inc({ budget }, n);
      },
    }),
    socketsConnected: new Gauge({
      name: 'hub_sockets_connected',
      help: 'Sockets connected, by namespace',
      labelNames: ['namespace'],
      registers: [registry],
    }),
    events: new Counter({
      name: 'hub_events_total',
      help: 'Tracker events received, by type and outcome',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    ackLatency: new Histogram({
      name: 'hub_ack_latency_ms',
      help: 'From event receipt to ack (stored)',
      labelNames: ['type'],
      buckets: ms,
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'hub_flush_batch_events',
      help: 'Events carried by one database flush',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000],
      registers: [registry],
    }),
    flushLatency: new Histogram({
      name: 'hub_flush_latency_ms',
      help: 'Duration of one database flush',
      buckets: ms,
      registers: [registry],
    }),
    dependencyErrors: new Counter({
      name: 'hub_dependency_errors_total',
      help: 'Database and Redis errors',
      labelNames: ['dependency'],
      registers: [registry],
    }),
    pageviewsClosed: new Counter({
      name: 'hub_pageviews_closed_total',
      help: 'Page views this instance closed for a tab that went away (sweeper: timeout; disconnect grace: disconnect)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    pageviewsOpen: new Gauge({
      name: 'hub_pageviews_open',
      help: 'Page views open on this instance',
      registers: [registry],
      collect() {
        this.set(openPageviews());
      },
    }),
    connectionsMax: new Gauge({
      name: 'hub_connections_max',
      help: 'The connection ceiling (MAX_CONNECTIONS, by default derived from the open-file limit)',
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: 'hub_connections_refused_total',
      help: 'New sockets refused at the handshake with over_capacity',
      registers: [registry],
    }),
    rollupRuns: new Counter({
      name: 'hub_rollup_runs_total',
      help: 'Rollup runs finished: periodic (paced, leased) or catch-up (before a statistics read)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    rollupWork: new Counter({
      name: 'hub_rollup_work_seconds_total',
      help: 'Time rollup runs spent working (a periodic run rests between steps; rests not counted)',
      labelNames: ['kind'],
      registers: [registry],
    }),
    rollupPageviews: new Counter({
      name: 'hub_rollup_pageviews_total',
      help: 'Changed page views rollup runs read and recomputed',
      registers: [registry],
    }),
    rollupKeys: new Counter({
      name: 'hub_rollup_keys_total',
      help: 'Rollups (15-minute buckets) recomputed',
      registers: [registry],
    }),
    httpRequests: new Counter({
      name: 'hub_http_requests_total',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
  };
  // Known label values start at zero, so the series exist from the first scrape (rate() and
  // alerts then see the first error or close, not a series appearing out of nowhere).
  for (const namespace of ['track', 'live']) m.socketsConnected.set({ namespace }, 0);
  for (const dependency of ['database', 'redis']) m.dependencyErrors.inc({ dependency }, 0);
  for (const reason of ['timeout', 'disconnect']) m.pageviewsClosed.inc({ reason }, 0);
  for (const kind of ['periodic', 'catch-up']) {
    m.rollupRuns.inc({ kind }, 0);
    m.rollupWork.inc({ kind }, 0);
  }
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
