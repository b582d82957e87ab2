/**
 * The load generator, a child process of the benchmark (pinned to its own core by the parent).
 * It takes commands over IPC (`{id, cmd, ...}`), answers `{id, result}`, and reports its own
 * CPU with every phase. Trackers and dashboards are raw engine.io connections (eio-client.ts).
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ConnectRefused, EioConnection } from '../../helpers/eio-client.ts';
import { ENGAGED_PER_HEARTBEAT } from './generator-constants.ts';
import { quantile } from './stats.ts';
import { AGENCIES, agencyOf, dashboardToken, trackerToken } from './tokens.ts';

interface Tab {
  i: number;
  c: EioConnection;
  tabId: string;
  seq: number;
  pv: string | null;
  nav: number;
}

let url = '';
let tabs: Tab[] = [];
let dashboards: EioConnection[] = [];
/** Navigation path → send time; the first dashboard to receive it sets the latency. */
const navSent = new Map<string, number>();
let navLatencies: number[] = [];
let ackLatencies: number[] = [];
/** During a hold: for each second of it (by send time), the slowest ack of an event sent then. */
let slowestBySecond: number[] | null = null;
let windowStarted = 0;
const totals = {
  pageviewsSent: 0,
  pageviewsAcked: 0,
  heartbeatsSent: 0,
  heartbeatsAcked: 0,
  errors: {} as Record<string, number>,
};

/**
 * The generator's own event-loop delay: a latency it measures includes the time its loop took to
 * read the answer, and the database process shares its core, so a phase reports the worst.
 */
const ownDelay = monitorEventLoopDelay({ resolution: 10 });
ownDelay.enable();
const ownDelayMax = () => ownDelay.max / 1e6;

/**
 * Starts a timed phase (hold or rate step): the slowest ack of each second and the loop delay
 * count from now. Returns its start and the array the slowest acks go into.
 */
function openWindow(): { started: number; slowest: number[] } {
  windowStarted = performance.now();
  slowestBySecond = [];
  ownDelay.reset();
  return { started: windowStarted, slowest: slowestBySecond };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const countError = (code: string) => (totals.errors[code] = (totals.errors[code] ?? 0) + 1);

function onAck(kind: 'pageview' | 'heartbeat', sent: number, lat: number[]) {
  return (reply: string) => {
    if (reply.startsWith('[{"ok":true')) {
      const took = performance.now() - sent;
      lat.push(took);
      if (slowestBySecond) {
        const s = Math.floor((sent - windowStarted) / 1000);
        if (s >= 0) slowestBySecond[s] = Math.max(slowestBySecond[s] ?? 0, took);
      }
      if (kind === 'pageview') totals.pageviewsAcked++;
      else totals.heartbeatsAcked++;
    } else countError(/"code":"(\w+)"/.exec(reply)?.[1] ?? 'unknown');
  };
}

function pageview(t: Tab, path: string, lat: number[]): void {
  t.pv = randomUUID();
  totals.pageviewsSent++;
  const e = {
    type: 'pageview',
    id: t.pv,
    seq: t.seq++,
    tabId: t.tabId,
    url: `https://app.example.com${path}`,
    path,
    title: path,
    referrer: '',
  };
  t.c.emit('event', JSON.stringify(e), onAck('pageview', performance.now(), lat));
}

function heartbeat(t: Tab, lat: number[]): void {
  if (!t.pv) return;
  totals.heartbeatsSent++;
  const e = {
    type: 'heartbeat',
    id: randomUUID(),
    seq: t.seq++,
    tabId: t.tabId,
    pageviewId: t.pv,
    engagedMs: ENGAGED_PER_HEARTBEAT,
    state: 'active',
  };
  t.c.emit('event', JSON.stringify(e), onAck('heartbeat', performance.now(), lat));
}

async function connectDashboards(): Promise<{ connected: number }> {
  dashboards = await Promise.all(
    Array.from({ length: AGENCIES }, async (_, a) => {
      const c = await EioConnection.connect(url, '/live', { token: await dashboardToken(a), agency: agencyOf(a) });
      c.onEvent = (json) => {
        const m = /"path":"(\/n\/[^"]+)"/.exec(json);
        if (!m) return;
        const sent = navSent.get(m[1]!);
        if (sent === undefined) return;
        navSent.delete(m[1]!);
        navLatencies.push(performance.now() - sent);
      };
      return c;
    }),
  );
  return { connected: dashboards.length };
}

/** Opens `n` tracker sockets at about `rate` per second, `inFlight` handshakes at a time. */
async function connectTrackers(n: number, rate: number, first: number) {
  const started = performance.now();
  const refused: Record<string, number> = {};
  let next = 0;
  let retryAfterMs: number | undefined;
  const worker = async () => {
    while (next < n) {
      const k = next++;
      const due = started + (k * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const i = first + k;
      try {
        const c = await EioConnection.connect(url, '/track', { token: await trackerToken(i), agency: agencyOf(i) });
        tabs.push({ i, c, tabId: randomUUID(), seq: 0, pv: null, nav: 0 });
      } catch (err) {
        const code = err instanceof ConnectRefused ? err.code : 'error';
        if (err instanceof ConnectRefused && err.retryAfterMs !== undefined) retryAfterMs = err.retryAfterMs;
        refused[code] = (refused[code] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: 200 }, worker));
  return { connected: tabs.length, refused, retryAfterMs, ms: performance.now() - started };
}

async function drain(timeoutMs: number): Promise<number> {
  const until = performance.now() + timeoutMs;
  let pending = 0;
  do {
    pending = tabs.reduce((a, t) => a + t.c.pending, 0);
    if (pending === 0) break;
    await sleep(50);
  } while (performance.now() < until);
  return pending;
}

/** Every tab sends its first page view at once; resolves when all are acked. */
async function storm(timeoutMs: number) {
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (const t of tabs) pageview(t, `/start/${t.i}`, lat);
  const pending = await drain(timeoutMs);
  return {
    sent: tabs.length,
    acked: lat.length,
    pending,
    ms: performance.now() - started,
    p99: quantile(lat, 0.99),
    genCpu: cpuShare(cpu0, started),
  };
}

function cpuShare(cpu0: NodeJS.CpuUsage, started: number): number {
  const d = process.cpuUsage(cpu0);
  return (d.user + d.system) / 1000 / (performance.now() - started);
}

/**
 * Holds every open tab for `seconds`: each heartbeats every `heartbeatMs` and navigates every
 * `navMs`, spread evenly over the interval. Then waits for outstanding acks.
 */
async function hold(seconds: number, heartbeatMs: number, navMs: number, drainMs: number) {
  ackLatencies = [];
  navLatencies = [];
  const errors0 = { ...totals.errors };
  const n = tabs.length;
  const cpu0 = process.cpuUsage();
  const { started, slowest } = openWindow();
  const startedAt = Date.now();
  let hbDone = 0;
  let navDone = 0;
  let sent = 0;
  while (performance.now() - started < seconds * 1000) {
    const t = performance.now() - started;
    // Navigations run on a phase half a heartbeat away from the heartbeats.
    const hbDue = Math.floor((t * n) / heartbeatMs);
    const navDue = Math.floor(((t + heartbeatMs / 2) * n) / navMs) - Math.floor(((heartbeatMs / 2) * n) / navMs);
    for (; hbDone < hbDue; hbDone++, sent++) heartbeat(tabs[hbDone % n]!, ackLatencies);
    for (; navDone < navDue; navDone++, sent++) {
      const tab = tabs[navDone % n]!;
      const path = `/n/${tab.i}/${tab.nav++}`;
      navSent.set(path, performance.now());
      pageview(tab, path, ackLatencies);
    }
    await sleep(5);
  }
  const genCpu = cpuShare(cpu0, started);
  const pending = await drain(drainMs);
  await sleep(500); // the last navigations' broadcasts
  // Stalls: the seconds of the hold in which some event sent took over a second to be acked.
  const stalls = [...slowest.entries()].filter(([, v]) => v > 1_000).map(([sec, v]) => ({ sec, ms: v }));
  slowestBySecond = null;
  const errors = Object.fromEntries(
    Object.entries(totals.errors)
      .map(([k, v]) => [k, v - (errors0[k] ?? 0)])
      .filter(([, v]) => Number(v) > 0),
  );
  const r = {
    sent,
    acked: ackLatencies.length,
    pending,
    errors,
    ackP50: quantile(ackLatencies, 0.5),
    ackP99: quantile(ackLatencies, 0.99),
    navSamples: navLatencies.length,
    navMissing: navSent.size,
    navP50: quantile(navLatencies, 0.5),
    navP99: quantile(navLatencies, 0.99),
    genCpu,
    genDelayMax: ownDelayMax(),
    startedAt,
    stalls,
  };
  navSent.clear();
  return r;
}

/** Open-loop heartbeats at `rate` per second over the open tabs for `seconds`. */
async function rateStep(rate: number, seconds: number, drainMs: number) {
  const lat: number[] = [];
  const errors0 = { ...totals.errors };
  const n = tabs.length;
  const cpu0 = process.cpuUsage();
  const { started, slowest } = openWindow();
  let done = 0;
  while (performance.now() - started < seconds * 1000) {
    const due = Math.floor(((performance.now() - started) * rate) / 1000);
    for (; done < due; done++) heartbeat(tabs[done % n]!, lat);
    await sleep(2);
  }
  const genCpu = cpuShare(cpu0, started);
  const pending = await drain(drainMs);
  // The slowest ack of each second of the step: a stall shows as a run of slow seconds.
  const slowestMs = slowest.map((v) => Math.round(v ?? 0));
  slowestBySecond = null;
  const failed =
    Object.values(totals.errors).reduce((a, v) => a + v, 0) - Object.values(errors0).reduce((a, v) => a + v, 0);
  return {
    rate,
    sent: done,
    acked: lat.length,
    failed,
    pending,
    p50: quantile(lat, 0.5),
    p99: quantile(lat, 0.99),
    genCpu,
    genDelayMax: ownDelayMax(),
    slowest: slowestMs,
  };
}

function closeAll(): { closed: number } {
  const closed = tabs.length;
  for (const t of tabs) t.c.close();
  for (const d of dashboards) d.close();
  tabs = [];
  dashboards = [];
  return { closed };
}

type Command = { id: number; cmd: string; [k: string]: unknown };

const handlers: Record<string, (c: Command) => Promise<unknown> | unknown> = {
  target: (c) => ((url = String(c.url)), { url }),
  dashboards: () => connectDashboards(),
  connect: (c) => connectTrackers(Number(c.n), Number(c.rate), Number(c.first ?? 0)),
  storm: (c) => storm(Number(c.timeoutMs)),
  hold: (c) => hold(Number(c.seconds), Number(c.heartbeatMs), Number(c.navMs), Number(c.drainMs)),
  rate: (c) => rateStep(Number(c.rate), Number(c.seconds), Number(c.drainMs)),
  totals: () => ({ ...totals, errors: { ...totals.errors } }),
  close: () => closeAll(),
  exit: () => setTimeout(() => process.exit(0), 10),
};

process.on('message', (msg: Command) => {
  const h = handlers[msg.cmd];
  Promise.resolve()
    .then(() => {
      if (!h) throw new Error(`unknown command ${msg.cmd}`);
      return h(msg);
    })
    .then(
      (result) => process.send!({ id: msg.id, result }),
      (err: unknown) => process.send!({ id: msg.id, error: String((err as Error)?.stack ?? err) }),
    );
});
process.send!({ ready: true });
