/**
 * Redis goes away and comes back (same port, empty): the hubs stay up, say so on /readyz, keep
 * acking tracker events (the database is up), and live updates across instances resume by
 * themselves once Redis is back — without restarting any hub (cf. socket.io#4845: subscriptions
 * must be re-established after a reconnect).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PresenceSnapshot } from '@activity-hub/protocol';
import { apiGet, devToken, eventually } from '../../helpers/hub.ts';
import {
  hubEnv,
  metricValue,
  scrape,
  spawnHubs,
  startDbProcess,
  type DbProcess,
  type HubProcess,
} from '../../helpers/hub-process.ts';
import { RedisServer } from '../../helpers/redis-server.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { LiveClient } from '../live/live-client.ts';

const AGENCY = 'ag-redis';
let db: DbProcess;
let redis: RedisServer;
let a: HubProcess, c: HubProcess;
let boss: string, ada: string;
const closers: { close(): void }[] = [];
const keep = <T extends { close(): void }>(x: T): T => (closers.push(x), x);

beforeAll(async () => {
  [db, redis] = await Promise.all([startDbProcess(), RedisServer.start()]);
  [a, c] = await spawnHubs(['hub-a', 'hub-c'], hubEnv(`${db.url}redis_restart`, redis.url));
  boss = await devToken(a.url, { userId: 'boss', role: 'agency', agencyId: AGENCY });
  ada = await devToken(a.url, { userId: 'u-ada', role: 'location', agencyId: AGENCY, locationId: 'loc-1' });
}, 90_000);

afterAll(async () => {
  for (const x of closers) x.close();
  await Promise.all([a, c].filter(Boolean).map((h) => h.kill9()));
  await Promise.all([db?.stop(), redis?.stop()]);
});

type Ready = { status: string; checks: Record<string, string>; error?: { code: string; message: string } };
const readyz = async (url: string) => {
  const res = await fetch(`${url}/readyz`);
  return { status: res.status, body: (await res.json()) as Ready };
};
const alive = (h: HubProcess) => h.proc.exitCode === null && h.proc.signalCode === null;

/** A page view on A reaches the dashboard on C (through Redis), within `ms`. */
async function crossesInstances(tr: FakeTracker, dash: LiveClient, path: string, ms: number): Promise<void> {
  const pv = tr.pageview(path);
  expect((await tr.send(pv)).ok).toBe(true);
  await dash.waitFor('upsert', (e) => e.pageviewId === pv.id, ms);
}

/**
 * After Redis comes back, live updates cross instances again by themselves: a page view sent
 * every second on A reaches C's dashboard within `ms`. (Right after a restart, C's subscriber
 * may still be re-subscribing when A publishes, and Redis pub/sub keeps nothing for it: what
 * must hold is that crossing resumes, not that the first message after `/readyz` turned green
 * makes it.)
 */
async function resumesCrossing(tr: FakeTracker, dash: LiveClient, path: string, ms: number): Promise<void> {
  const sent: string[] = [];
  await eventually(
    async () => {
      const pv = tr.pageview(`${path}/${sent.length}`);
      expect((await tr.send(pv)).ok).toBe(true);
      sent.push(pv.id);
      return dash.waitFor('upsert', (e) => sent.includes(e.pageviewId), 1_000).catch(() => null);
    },
    ms,
    0,
  );
}

describe('Redis restart', () => {
  it('keeps the hubs up, reports redis down on /readyz, and resumes cross-instance live updates by itself', async () => {
    const dash = keep(await LiveClient.connect(c.url, boss));
    const tr = keep(await FakeTracker.connect(a.url, ada));
    await crossesInstances(tr, dash, '/before', 5_000);

    await redis.stop();
    const down = await eventually(
      async () => {
        const r = await readyz(a.url);
        return r.status === 503 ? r : null;
      },
      10_000,
      200,
    );
    expect(down.body.checks).toMatchObject({ database: 'up', redis: 'down' });
    expect(down.body.error?.message).toContain('redis');
    expect((await readyz(c.url)).body.checks.redis).toBe('down');
    expect((await fetch(`${a.url}/healthz`)).status).toBe(200);
    // Tracking does not depend on Redis: events are still stored and acked during the outage.
    const during = tr.pageview('/during-outage');
    expect((await tr.send(during)).ok).toBe(true);
    expect((await tr.send(tr.heartbeat(during.id, 100))).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000)); // let the clients fail a few reconnects
    expect(alive(a) && alive(c)).toBe(true);

    redis = await RedisServer.start(redis.port);
    await eventually(
      async () => (await readyz(a.url)).status === 200 && (await readyz(c.url)).status === 200,
      15_000,
      200,
    );
    // Live updates cross instances again: the subscriptions were re-established.
    await resumesCrossing(tr, dash, '/after', 15_000);
    // Presence was lost with Redis; the tab is back in it (both instances answer alike).
    for (const h of [a, c]) {
      const snap = await apiGet<PresenceSnapshot>(h.url, '/api/v1/presence', boss);
      expect(
        snap.body.entries.map((e) => e.sessionId),
        h.name,
      ).toEqual([tr.tabId]);
    }
    // The outage was counted.
    expect(metricValue(await scrape(a.url), 'hub_dependency_errors_total', { dependency: 'redis' })).toBeGreaterThan(0);

    // And once more with a quick SIGKILL-and-start (the client may barely notice).
    await redis.restart();
    await eventually(
      async () => (await readyz(a.url)).status === 200 && (await readyz(c.url)).status === 200,
      15_000,
      200,
    );
    await resumesCrossing(tr, dash, '/after-restart', 15_000);
    // A dashboard that connects now (a room created after the restart) gets deltas too.
    const dash2 = keep(await LiveClient.connect(c.url, boss));
    await crossesInstances(tr, dash2, '/new-dashboard', 5_000);
    expect(alive(a) && alive(c)).toBe(true);
    // Redis errors are warnings: nothing failed for good, nothing went unhandled.
    expect([...a.errors(), ...c.errors()]).toEqual([]);
    expect(a.stderr() + c.stderr()).toBe('');
  }, 90_000);
});
