/**
 * Observability of one hub process: /metrics (Prometheus text) has every metric an operator
 * needs and they move with traffic; /healthz is liveness; /readyz names the dependency that is
 * down (Redis, then the database); logs are JSON lines with request ids and socket ids.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devToken, eventually } from '../../helpers/hub.ts';
import {
  hubEnv,
  metricValue,
  scrape,
  spawnHub,
  startOwnedDbProcess as startDbProcess,
  type DbProcess,
  type HubProcess,
} from '../../helpers/hub-process.ts';
import { RedisServer } from '../../helpers/redis-server.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { LiveClient } from '../live/live-client.ts';

let db: DbProcess;
let redis: RedisServer;
let hub: HubProcess;
let token: string;
let boss: string;

beforeAll(async () => {
  [db, redis] = await Promise.all([startDbProcess(), RedisServer.start()]);
  // debug: request and socket lines are logged at debug level.
  hub = await spawnHub('hub-obs', hubEnv(`${db.url}observability`, redis.url, { LOG_LEVEL: 'debug' }));
  token = await devToken(hub.url, { userId: 'u-obs', role: 'location', agencyId: 'ag-obs', locationId: 'loc' });
  boss = await devToken(hub.url, { userId: 'boss', role: 'agency', agencyId: 'ag-obs' });
}, 60_000);

afterAll(async () => {
  await hub?.kill9();
  await Promise.all([db?.stop(), redis?.stop()]);
});

const readyz = async () => {
  const res = await fetch(`${hub.url}/readyz`);
  return {
    status: res.status,
    body: (await res.json()) as { status: string; checks: Record<string, string>; error?: { message: string } },
  };
};
const value = async (name: string, labels: Record<string, string> = {}) =>
  metricValue(await scrape(hub.url), name, labels);

describe('observability', () => {
  it('exposes the metrics an operator needs, and they move with traffic', async () => {
    const before = await scrape(hub.url);
    expect(before).toContain('# TYPE hub_sockets_connected gauge');
    for (const name of [
      'nodejs_eventloop_lag_seconds',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
      'hub_flush_batch_events_count',
      'hub_flush_latency_ms_count',
      'hub_pageviews_open',
      'hub_rollup_pageviews_total',
      'hub_rollup_keys_total',
    ]) {
      expect(metricValue(before, name), name).not.toBeNull();
    }
    // Known label values exist from the first scrape, at zero.
    expect(metricValue(before, 'hub_sockets_connected', { namespace: 'track' })).toBe(0);
    expect(metricValue(before, 'hub_sockets_connected', { namespace: 'live' })).toBe(0);
    expect(metricValue(before, 'hub_dependency_errors_total', { dependency: 'database' })).toBe(0);
    expect(metricValue(before, 'hub_dependency_errors_total', { dependency: 'redis' })).toBe(0);
    expect(metricValue(before, 'hub_rollup_work_seconds_total', { kind: 'catch-up' })).toBe(0);

    const dash = await LiveClient.connect(hub.url, boss);
    const tr = await FakeTracker.connect(hub.url, token);
    const pv = tr.pageview('/metrics-page');
    expect((await tr.send(pv)).ok).toBe(true);
    for (let i = 0; i < 5; i++) expect((await tr.send(tr.heartbeat(pv.id, 20))).ok).toBe(true);
    expect((await tr.send({ type: 'nope' })).ok).toBe(false);

    const after = await scrape(hub.url);
    expect(metricValue(after, 'hub_sockets_connected', { namespace: 'track' })).toBe(1);
    expect(metricValue(after, 'hub_sockets_connected', { namespace: 'live' })).toBe(1);
    expect(metricValue(after, 'hub_events_total', { type: 'pageview', outcome: 'ok' })).toBe(1);
    expect(metricValue(after, 'hub_events_total', { type: 'heartbeat', outcome: 'ok' })).toBe(5);
    expect(metricValue(after, 'hub_events_total', { outcome: 'validation_failed' })).toBe(1);
    expect(metricValue(after, 'hub_ack_latency_ms_count', { type: 'heartbeat' })).toBe(5);
    expect(metricValue(after, 'hub_ack_latency_ms_sum', { type: 'heartbeat' })).toBeGreaterThan(0);
    expect(metricValue(after, 'hub_flush_batch_events_count')).toBeGreaterThan(
      metricValue(before, 'hub_flush_batch_events_count')!,
    );
    expect(metricValue(after, 'hub_flush_batch_events_sum')).toBeGreaterThanOrEqual(6);
    expect(metricValue(after, 'hub_flush_latency_ms_count')).toBeGreaterThan(0);
    expect(metricValue(after, 'hub_http_requests_total', { route: '/api/v1/auth/dev', status: '200' })).toBeGreaterThan(
      0,
    );
    // A History read catches the rollups up first, and says so.
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const summary = await fetch(`${hub.url}/api/v1/summary?from=${from}&to=${to}`, {
      headers: { authorization: `Bearer ${boss}` },
    });
    expect(summary.status).toBe(200);
    const rolled = await scrape(hub.url);
    expect(metricValue(rolled, 'hub_rollup_runs_total', { kind: 'catch-up' })).toBeGreaterThan(0);
    expect(metricValue(rolled, 'hub_rollup_pageviews_total')).toBeGreaterThanOrEqual(1);
    expect(metricValue(rolled, 'hub_rollup_keys_total')).toBeGreaterThanOrEqual(1);
    // The open page-view gauge is computed at each scrape.
    await eventually(async () => ((await value('hub_pageviews_open')) ?? 0) >= 1, 8_000, 250);

    tr.close();
    dash.close();
    await eventually(async () => (await value('hub_sockets_connected')) === 0, 5_000);
  });

  it('writes JSON log lines carrying request ids and socket ids', async () => {
    const res = await fetch(`${hub.url}/api/v1/presence`, {
      headers: { 'x-request-id': 'req-obs-42', authorization: `Bearer ${boss}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-obs-42');
    // Without one, the hub makes one up and echoes it.
    const generated = (await fetch(`${hub.url}/healthz`)).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);

    const tr = await FakeTracker.connect(hub.url, token);
    const socketId = tr.socket.id!;
    tr.close();
    await eventually(() => hub.logs().some((l) => l.socketId === socketId), 5_000);

    const lines = hub.stdout().split('\n').filter(Boolean);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(entry).toMatchObject({
        level: expect.any(Number),
        time: expect.any(Number),
        instance: 'hub-obs',
        msg: expect.any(String),
      });
    }
    const logs = hub.logs();
    expect(logs.find((l) => l.reqId === 'req-obs-42')).toMatchObject({
      method: 'GET',
      path: '/api/v1/presence',
      status: 200,
    });
    expect(logs.find((l) => l.reqId === generated)).toMatchObject({ path: '/healthz' });
    expect(logs.find((l) => l.socketId === socketId)).toMatchObject({ ns: 'track', userId: 'u-obs' });
    // Tokens never reach the logs.
    expect(hub.stdout()).not.toContain(boss);
    expect(hub.stdout()).not.toContain(token);
  });

  it('answers /healthz while /readyz names the dependency that is down', async () => {
    expect(await readyz()).toMatchObject({
      status: 200,
      body: { status: 'ready', checks: { database: 'up', redis: 'up' } },
    });

    await redis.stop();
    const noRedis = await eventually(
      async () => {
        const r = await readyz();
        return r.status === 503 ? r : null;
      },
      10_000,
      200,
    );
    expect(noRedis.body.checks).toEqual({ database: 'up', redis: 'down' });
    expect(noRedis.body.error?.message).toMatch(/redis/);
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    expect(await value('hub_dependency_errors_total', { dependency: 'redis' })).toBeGreaterThan(0);
    redis = await RedisServer.start(redis.port);
    await eventually(async () => (await readyz()).status === 200, 15_000, 200);

    // The database goes away: events fail with `unavailable`, the error is counted, readiness says so.
    const tr = await FakeTracker.connect(hub.url, token);
    const pv = tr.pageview('/db-down');
    expect((await tr.send(pv)).ok).toBe(true);
    await db.stop();
    const ack = await tr.send(tr.heartbeat(pv.id, 10), 20_000);
    expect(ack).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    expect(await value('hub_dependency_errors_total', { dependency: 'database' })).toBeGreaterThan(0);
    const noDb = await readyz();
    expect(noDb.status).toBe(503);
    expect(noDb.body.checks.database).toBe('down');
    expect(noDb.body.error?.message).toMatch(/database/);
    expect((await fetch(`${hub.url}/healthz`)).status).toBe(200);
    tr.close();
  }, 45_000);
});
