/**
 * Graceful shutdown and a rolling restart of two instances while trackers keep sending:
 * SIGTERM stops accepting connections, says `bye` {code:'shutdown', reconnect:true} to every
 * socket, flushes every batch, closes the database and Redis and exits 0 in time. Across the
 * restart of A and then B, every acknowledged event is stored exactly once and no open page view
 * is closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Goodbye, Page, PageviewItem } from '@activity-hub/protocol';
import { EventLedger } from '../../helpers/event-ledger.ts';
import { apiGet, devToken, eventually } from '../../helpers/hub.ts';
import {
  hubEnv,
  metricValue,
  scrape,
  spawnHub,
  spawnHubs,
  startDbProcess,
  type DbProcess,
  type HubProcess,
} from '../../helpers/hub-process.ts';
import { RedisServer } from '../../helpers/redis-server.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { LiveClient } from '../live/live-client.ts';

const AGENCY = 'ag-rolling';
const SHUTDOWN_TIMEOUT_MS = 5_000;
let db: DbProcess;
let redis: RedisServer;
/** Instances by name; replaced when restarted. */
const hubs: Record<'a' | 'b', HubProcess | null> = { a: null, b: null };
const up = new Set<'a' | 'b'>();
let boss: string;
const tokens: string[] = [];

beforeAll(async () => {
  [db, redis] = await Promise.all([startDbProcess(), RedisServer.start()]);
  // A long flush interval keeps heartbeats queued in the batch when SIGTERM arrives.
  const env = hubEnv(`${db.url}rolling`, redis.url, {
    FLUSH_INTERVAL_MS: '2000',
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
  });
  [hubs.a, hubs.b] = await spawnHubs(['hub-a', 'hub-b'], env);
  up.add('a').add('b');
  boss = await devToken(hubs.a!.url, { userId: 'boss', role: 'agency', agencyId: AGENCY });
  // A user per tab (six roaming, one paused): one user's tabs together are credited at most the
  // wall time passed in the quarter hour (engaged-ledger.ts), and two of these tabs would claim
  // more than that whenever the test began just after :00, :15, :30 or :45.
  for (let i = 0; i < 7; i++)
    tokens.push(
      await devToken(hubs.a!.url, { userId: `u-${i}`, role: 'location', agencyId: AGENCY, locationId: 'loc' }),
    );
}, 90_000);

afterAll(async () => {
  await Promise.all(Object.values(hubs).map((h) => h?.kill9()));
  await Promise.all([db?.stop(), redis?.stop()]);
});

const urlOf = (name: 'a' | 'b') => hubs[name]!.url;

/** A tab that keeps sending heartbeats and, when its instance goes away, continues on one that is up. */
class RoamingTab {
  moves = 0;
  private busy = false;
  constructor(
    public tr: FakeTracker,
    /** The instance it is connected to. */
    public url: string,
    readonly token: string,
    readonly pv: { id: string },
    private readonly ledger: EventLedger,
  ) {}

  async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.tr.socket.connected) {
        this.ledger.fire(this.tr, this.tr.heartbeat(this.pv.id, 100));
        return;
      }
      const target = [...up][0];
      if (!target) return;
      const url = urlOf(target);
      this.tr = await this.tr.moveTo(url, this.token).catch(() => this.tr);
      if (!this.tr.socket.connected) return;
      this.url = url;
      this.moves++;
      // What the previous instance never acked is re-sent, as the tracker's outbox does.
      await this.ledger.resend(this.tr, this.tr.tabId);
    } finally {
      this.busy = false;
    }
  }
}

/** SIGTERM one instance (checking the shutdown contract), then start it again on the same port. */
async function restart(name: 'a' | 'b', watchers: { tr: FakeTracker; dashByes: Goodbye[] }) {
  const old = hubs[name]!;
  up.delete(name);
  const exit = old.terminate();
  // `bye` is sent after the listener is closed: from then on nobody can connect.
  await eventually(() => watchers.tr.byes.length > 0, 5_000);
  expect(watchers.tr.byes[0]).toEqual({ code: 'shutdown', message: expect.any(String), reconnect: true });
  await eventually(() => watchers.dashByes.length > 0, 5_000);
  expect(watchers.dashByes[0]).toMatchObject({ code: 'shutdown', reconnect: true });
  await expect(FakeTracker.connect(old.url, tokens[0]!, { reconnection: false })).rejects.toThrow();
  const { code, signal, ms } = await exit;
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  expect(ms).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  expect(old.stderr()).toBe('');
  expect(old.errors()).toEqual([]);
  return async () => {
    hubs[name] = await spawnHub(old.name, old.env);
    up.add(name);
  };
}

async function pageviews(): Promise<PageviewItem[]> {
  const url = urlOf([...up][0]!);
  const r = await apiGet<Page<PageviewItem>>(url, '/api/v1/pageviews?limit=500', boss);
  expect(r.status).toBe(200);
  return r.body.items;
}

describe('graceful shutdown and rolling restart', () => {
  it('restarts A, then B, while trackers keep sending: nothing acked is lost or doubled, nothing is wrongly closed', async () => {
    const ledger = new EventLedger();
    const tabs: RoamingTab[] = [];
    for (let i = 0; i < 6; i++) {
      const token = tokens[i]!;
      const url = urlOf(i % 2 ? 'b' : 'a');
      const tr = await FakeTracker.connect(url, token);
      const pv = tr.pageview(`/r/${i}`);
      expect(await ledger.send(tr, pv)).toBe(true);
      tabs.push(new RoamingTab(tr, url, token, pv, ledger));
    }
    // Dashboards on both instances, to see their `bye`.
    const dashA = await LiveClient.connect(urlOf('a'), boss);
    const dashB = await LiveClient.connect(urlOf('b'), boss);
    const byes = { a: [] as Goodbye[], b: [] as Goodbye[] };
    dashA.socket.on('bye', (b) => byes.a.push(b));
    dashB.socket.on('bye', (b) => byes.b.push(b));
    // A paused tab on A: three heartbeats sit in A's batch when SIGTERM arrives, and nobody re-sends them.
    const paused = await FakeTracker.connect(urlOf('a'), tokens[6]!);
    const pausedPv = paused.pageview('/paused');
    expect(await ledger.send(paused, pausedPv)).toBe(true);

    const timer = setInterval(() => tabs.forEach((t) => void t.tick()), 200);
    try {
      await new Promise((r) => setTimeout(r, 1_500));
      for (let i = 0; i < 3; i++) ledger.fire(paused, paused.heartbeat(pausedPv.id, 100));
      await new Promise((r) => setTimeout(r, 50));
      const startA = await restart('a', { tr: paused, dashByes: byes.a });
      // The batch was flushed on the way out: stored although never acked, and the page view is still open.
      const p = (await pageviews()).find((x) => x.id === pausedPv.id)!;
      expect(p.engagedMs).toBe(300);
      expect(p.endedAt).toBeNull();
      // It continues on B right away (a tab gone for longer than STALE_AFTER_MS would rightly be swept).
      const pausedMoved = await paused.moveTo(urlOf('b'), tokens[6]!);
      await ledger.resend(pausedMoved, paused.tabId);
      tabs.push(new RoamingTab(pausedMoved, urlOf('b'), tokens[6]!, pausedPv, ledger));
      await startA();
      await new Promise((r) => setTimeout(r, 1_500));
      expect(tabs.filter((t) => t.moves > 0)).toHaveLength(3);

      const watcher = tabs.find((t) => t.tr.socket.connected && t.url === urlOf('b'))!;
      const startB = await restart('b', { tr: watcher.tr, dashByes: byes.b });
      await startB();
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      clearInterval(timer);
    }
    await ledger.settle();
    // Anything still unacked (in flight when a socket closed) goes out once more, as the tracker would.
    for (const t of tabs) if (ledger.unacked(t.tr.tabId).length) await ledger.resend(t.tr, t.tr.tabId);
    for (const t of tabs) expect(ledger.unacked(t.tr.tabId), t.pv.id).toEqual([]);

    // Nothing was closed by the restarts: not by a disconnect grace, not by a sweeper.
    const before = await pageviews();
    for (const t of tabs.map((x) => x.pv)) {
      const rows = before.filter((x) => x.id === t.id);
      expect(rows, t.id).toHaveLength(1);
      expect(rows[0]!.endedAt, t.id).toBeNull();
    }
    for (const name of ['a', 'b'] as const) {
      expect(metricValue(await scrape(urlOf(name)), 'hub_pageviews_closed_total')).toBe(0);
    }

    for (const t of tabs) expect(await ledger.send(t.tr, t.tr.leave(t.pv.id, 0))).toBe(true);
    const after = await pageviews();
    let events = 0;
    for (const pv of tabs.map((x) => x.pv)) {
      const row = after.find((x) => x.id === pv.id)!;
      expect(row.endReason, pv.id).toBe('leave');
      // Every heartbeat was acked in the end (by some instance) and is stored exactly once.
      expect(row.engagedMs, pv.id).toBe(ledger.ackedMs(pv.id));
      events += ledger.ackedMs(pv.id) / 100;
    }
    expect(events).toBeGreaterThan(60);
    for (const t of tabs) t.tr.close();
    dashA.close();
    dashB.close();
  }, 90_000);
});
