/**
 * One database outage against real processes: the standalone embedded database in a child
 * process of its own (with a data directory), one hub in another, scripted tabs that retry like
 * the real tracker, a dashboard on /live and REST calls. The fault is applied to the database
 * process, then undone; the caller checks the figures this returns.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MongoClient } from 'mongodb';
import { uniqueDbName } from '../../helpers/database-target.ts';
import { devToken, eventually } from '../../helpers/hub.ts';
import { hubEnv, spawnHub, startOwnedDbProcess } from '../../helpers/hub-process.ts';
import { OutboxTracker, type Attempt } from '../../helpers/outbox-tracker.ts';
import { LiveClient } from '../live/live-client.ts';

export interface OutageTiming {
  /** Traffic before the fault. */
  warmMs: number;
  faultMs: number;
  /** Traffic after the fault is undone, before the tabs leave. */
  afterMs: number;
  /** The hub may take this long to notice the fault; answers after it must be fast. */
  detectMs: number;
}

export interface Probe {
  at: number;
  ms: number;
  status: number;
  code?: string;
  retryAfter?: string | null;
}

export interface PageviewCheck {
  id: string;
  docs: number;
  engagedMs: number | null;
  wantEngagedMs: number;
  duplicateIds: number;
  endedAt: number | null;
  wantEndedAt: number;
}

export interface OutageReport {
  faultStart: number;
  faultEnd: number;
  attempts: Attempt[];
  refused: number;
  rest: Probe[];
  readyz: Probe[];
  liveDuringFault: { snapshotMs: number; entries: number } | null;
  dashboardStayedConnected: boolean;
  liveAfterRecovery: boolean;
  /** From the navigation made after recovery until the dashboard had it for every tab. */
  liveAfterRecoveryMs: number;
  eventsMade: number;
  pageviews: PageviewCheck[];
  /** Page view documents of the run's tabs that no made event explains. */
  strayDocs: number;
  summary: { pageviews: number; engagedMs: number };
  storedEngagedMs: number;
}

const TABS = 4;
const HEARTBEAT_EVERY_MS = 1_000;
const ENGAGED_PER_BEAT_MS = 500;
const NAVIGATE_EVERY_MS = 15_000;
const PROBE_EVERY_MS = 1_000;
const AGENCY = 'ag-outage';

async function timed(url: string, token?: string): Promise<Probe> {
  const at = Date.now();
  const res = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal: AbortSignal.timeout(30_000),
  }).catch(() => null);
  const ms = Date.now() - at;
  if (!res) return { at, ms, status: 0 };
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string } };
  return { at, ms, status: res.status, code: body.error?.code, retryAfter: res.headers.get('retry-after') };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runOutage(shape: 'down' | 'hung', timing: OutageTiming): Promise<OutageReport> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `ah-outage-${shape}-`));
  const db = await startOwnedDbProcess({ dataDir });
  const dbUrl = `${db.url}${uniqueDbName(`outage_${shape}`)}`;
  const hub = await spawnHub(`hub-outage-${shape}`, hubEnv(dbUrl, null, { LOG_LEVEL: 'debug' }));
  const trackers: OutboxTracker[] = [];
  const timers: NodeJS.Timeout[] = [];
  const live: LiveClient[] = [];
  try {
    const boss = await devToken(hub.url, { userId: 'boss', role: 'agency', agencyId: AGENCY });
    const dash = await LiveClient.connect(hub.url, boss);
    live.push(dash);
    let dashDropped = false;
    dash.socket.on('disconnect', () => (dashDropped = true));
    const current: string[] = [];
    for (let i = 0; i < TABS; i++) {
      const token = await devToken(hub.url, {
        userId: `u${i}`,
        role: 'location',
        agencyId: AGENCY,
        locationId: 'loc-1',
      });
      const t = await OutboxTracker.connect(hub.url, token);
      trackers.push(t);
      current.push(t.make(t.tr.pageview(`/p0-${i}`)).id);
    }
    let nav = 0;
    const beat = () => trackers.forEach((t, i) => t.make(t.tr.heartbeat(current[i]!, ENGAGED_PER_BEAT_MS)));
    const navigate = (p: string) => trackers.forEach((t, i) => (current[i] = t.make(t.tr.pageview(`/${p}-${i}`)).id));
    timers.push(setInterval(beat, HEARTBEAT_EVERY_MS));
    timers.push(setInterval(() => navigate(`n${++nav}`), NAVIGATE_EVERY_MS));
    await sleep(timing.warmMs);
    await Promise.all(trackers.map((t) => t.drained(10_000)));

    const rest: Probe[] = [];
    const readyz: Probe[] = [];
    const faultStart = Date.now();
    if (shape === 'down') await db.kill9();
    else db.pause();
    let liveDuringFault: OutageReport['liveDuringFault'] = null;
    const from = new Date(faultStart - 86_400_000).toISOString();
    const to = new Date(faultStart + 86_400_000).toISOString();
    while (Date.now() - faultStart < timing.faultMs) {
      const [a, b, r] = await Promise.all([
        timed(`${hub.url}/api/v1/pageviews?limit=5`, boss),
        timed(`${hub.url}/api/v1/summary?from=${from}&to=${to}`, boss),
        timed(`${hub.url}/readyz`),
      ]);
      rest.push(a, b);
      readyz.push(r);
      if (!liveDuringFault && Date.now() - faultStart > timing.detectMs) {
        const at = Date.now();
        const c = await LiveClient.connect(hub.url, boss);
        live.push(c);
        liveDuringFault = { snapshotMs: Date.now() - at, entries: c.snapshot.entries.length };
      }
      await sleep(PROBE_EVERY_MS);
    }
    if (shape === 'down') await db.restart();
    else db.resume();
    const faultEnd = Date.now();
    await sleep(timing.afterMs);
    // One navigation after recovery, which the dashboard must see.
    navigate('after');
    const afterIds = new Set(current);
    // The tabs replay their backlog (in order, one event at a time) before these arrive.
    const navigatedAt = Date.now();
    const liveAfterRecovery = await eventually(
      () => afterIds.size === [...afterIds].filter((id) => dash.upserts().some((e) => e.pageviewId === id)).length,
      90_000,
      100,
    ).then(
      () => true,
      () => false,
    );
    const liveAfterRecoveryMs = Date.now() - navigatedAt;
    for (const t of timers) clearInterval(t);
    trackers.forEach((t, i) => t.make(t.tr.leave(current[i]!, ENGAGED_PER_BEAT_MS)));
    await Promise.all(trackers.map((t) => t.drained(60_000)));
    const made = trackers.flatMap((t) => t.made);

    // What is stored, read straight from the database.
    const client = await MongoClient.connect(dbUrl, { directConnection: true });
    try {
      const docs = await client.db().collection('pageviews').find({ agencyId: AGENCY }).toArray();
      const byId = new Map<string, typeof docs>();
      for (const d of docs) byId.set(String(d.id), [...(byId.get(String(d.id)) ?? []), d]);
      const pageviews: PageviewCheck[] = [];
      for (const t of trackers) {
        const mine = t.made.map((m) => m.event);
        mine.forEach((e, idx) => {
          if (e.type !== 'pageview') return;
          const following = mine.slice(idx + 1);
          const own = following.filter((x) => x.type !== 'pageview' && x.pageviewId === e.id);
          const next = following.find((x) => x.type === 'pageview');
          const endEvent = next ?? own.at(-1)!;
          const found = byId.get(e.id) ?? [];
          const doc = found[0];
          const ids = (doc?.eventIds as string[] | undefined) ?? [];
          pageviews.push({
            id: e.id,
            docs: found.length,
            engagedMs: doc ? Number(doc.engagedMs) : null,
            wantEngagedMs: own.reduce((a, x) => a + (x.type === 'pageview' ? 0 : x.engagedMs), 0),
            duplicateIds: ids.length - new Set(ids).size,
            endedAt: doc?.endedAt ? (doc.endedAt as Date).getTime() : null,
            wantEndedAt: t.made.find((m) => m.event.id === endEvent.id)!.madeAt,
          });
        });
      }
      const madeIds = new Set(made.map((m) => m.event.id));
      const strayDocs = docs.filter((d) => !madeIds.has(String(d.id))).length;
      const storedEngagedMs = docs.reduce((a, d) => a + Number(d.engagedMs), 0);
      // The rollups catch up: the summary (read from them) agrees with the page views.
      const summary = await eventually(async () => {
        const res = await fetch(`${hub.url}/api/v1/summary?from=${from}&to=${to}`, {
          headers: { authorization: `Bearer ${boss}` },
        });
        if (res.status !== 200) return null;
        const s = (await res.json()) as { totals: { pageviews: number; engagedMs: number } };
        const { pageviews, engagedMs } = s.totals;
        return pageviews === docs.length && engagedMs === storedEngagedMs ? { pageviews, engagedMs } : null;
      }, 20_000).catch(() => ({ pageviews: -1, engagedMs: -1 }));
      return {
        faultStart,
        faultEnd,
        attempts: trackers.flatMap((t) => t.attempts),
        refused: trackers.reduce((a, t) => a + t.refused.length, 0),
        rest,
        readyz,
        liveDuringFault,
        dashboardStayedConnected: !dashDropped,
        liveAfterRecovery,
        liveAfterRecoveryMs,
        eventsMade: made.length,
        pageviews,
        strayDocs,
        summary,
        storedEngagedMs,
      };
    } finally {
      await client.close();
    }
  } finally {
    for (const t of timers) clearInterval(t);
    for (const c of live) c.close();
    await Promise.all(trackers.map((t) => t.close()));
    await hub.kill9();
    fs.mkdirSync('test-artifacts', { recursive: true });
    fs.writeFileSync(`test-artifacts/outage-${shape}-hub.log`, hub.stdout() + hub.stderr());
    db.resume();
    await db.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
