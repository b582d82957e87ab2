/**
 * `npm run bench -- capacity [--trackers N] [--quick] [--json] [--only bare,hub,hub-db-process]`
 *                            `[--profile DIR] [--heap-snapshot DIR]` (a CPU profile of the hold, a heap snapshot after it)
 *                            `[--node-flags "--flag …"]` (node flags for the server under test, for experiments)
 *
 * Issue 11's capacity benchmark. For each server (bare socket.io, the hub with its embedded
 * database in-process, the hub with the database in its own process), in one run:
 *   storm      N tracker sockets open, then every tab sends its first page view at once;
 *   hold       heartbeat every 15 s, a navigation a minute, 10 agency dashboards on /live;
 *   throughput 2,000 tabs, open-loop heartbeats at rising rates until ack p99 > flush + 500 ms;
 * then counts what the database stored. The server runs pinned to core 0, the generator to core 1.
 */
import { pathToFileURL } from 'node:url';
import { ENGAGED_PER_HEARTBEAT } from './load/generator-constants.ts';
import { dashboardToken } from './load/tokens.ts';
import { cpuMeter, ms, quantile, threadCpuMeter, type ThreadCpu } from './load/stats.ts';
import {
  flushesBetween,
  readHubMetrics,
  rollupsBetween,
  type FlushWindow,
  type RollupWindow,
} from './load/hub-metrics.ts';
import {
  startGenerator,
  startServer,
  storedCounts,
  type Probe,
  type ServerKind,
  type SlowCommand,
} from './load/servers.ts';

export interface CapacityOptions {
  trackers: number;
  quick: boolean;
  json: boolean;
  only: ServerKind[];
  profileDir: string | null;
  nodeFlags: string[];
  heapSnapshotDir: string | null;
}

export function parseOptions(argv: string[]): CapacityOptions {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  return {
    trackers: Number(get('--trackers') ?? (quick ? 300 : 15_000)),
    quick,
    json: argv.includes('--json'),
    only: (get('--only')?.split(',') as ServerKind[] | undefined) ?? ['bare', 'hub', 'hub-db-process'],
    profileDir: get('--profile') ?? null,
    nodeFlags: get('--node-flags')?.split(' ').filter(Boolean) ?? [],
    heapSnapshotDir: get('--heap-snapshot') ?? null,
  };
}

const FLUSH_MS = 1_000;
/** The hub's default DISCONNECT_GRACE_MS. */
const GRACE_MS = 10_000;

/**
 * Waits out the disconnect grace, then until the server (and its database process) use under
 * 10% of a core over a second, at most a minute, so one phase's leftover work does not land in
 * the next phase's figures.
 */
async function settle(pid: number, dbPid: number | null): Promise<void> {
  await new Promise((r) => setTimeout(r, GRACE_MS + 1_000));
  const until = performance.now() + 60_000;
  while (performance.now() < until) {
    const cpu = cpuMeter(pid);
    const db = dbPid ? cpuMeter(dbPid) : () => 0;
    await new Promise((r) => setTimeout(r, 1_000));
    if (cpu() < 0.1 && db() < 0.1) return;
  }
}

export interface ServerFigures {
  server: ServerKind;
  trackers: number;
  connected: number;
  refused: Record<string, number>;
  connectMs: number;
  /** Median of the hold's samples (one every 5 s): one sample lands anywhere in the GC cycle. */
  rssPerTrackerKB: number;
  rssMaxPerTrackerKB: number;
  heapPerTrackerKB: number;
  /** Heap committed (used or not) and memory outside the heap (buffers), hold medians. */
  heapTotalPerTrackerKB: number;
  externalPerTrackerKB: number;
  cpu: number;
  dbCpu: number | null;
  genCpu: number;
  /** The server's CPU in the hold by thread name. */
  cpuThreads: ThreadCpu;
  eldP99: number;
  eldMax: number;
  /** The generator's longest event-loop delay in the hold. */
  genDelayMax: number;
  /**
   * Share of the hold (from its start to the probe after its drain) spent in garbage collection:
   * scavenges; full collections with incremental marking steps; the longest pause.
   */
  gcMinorShare: number;
  gcMajorShare: number;
  gcMaxMs: number;
  /** The hub's database flushes during the hold (null for bare). */
  flushes: FlushWindow | null;
  /** The rollup job's periodic runs that finished during the hold (null for bare). */
  rollups: RollupWindow | null;
  ackP50: number;
  ackP99: number;
  /** Seconds of the hold (from its start) in which an event sent took over a second to be acked. */
  stalls: { sec: number; ms: number }[];
  /** Commands the database process logged as slower than 100 ms during the hold, seconds from its start. */
  dbSlow: (SlowCommand & { sec: number })[];
  navP50: number;
  navP99: number;
  navSamples: number;
  /**
   * One agency's `/summary` for today, read three times right after the hold (null for bare):
   * the first waits for the rollups to catch up with whatever the periodic run has not done yet.
   */
  historyMs: number[] | null;
  holdSent: number;
  holdAcked: number;
  holdErrors: Record<string, number>;
  stormMs: number;
  stormAcked: number;
  throughput: {
    rate: number;
    sent: number;
    acked: number;
    p99: number;
    cpu: number;
    /** The database process's and the generator's CPU in the step (they share the other core). */
    dbCpu: number | null;
    genCpu: number;
    eldMax: number;
    /** The generator's longest event-loop delay in the step. */
    genDelayMax: number;
    flushes: FlushWindow | null;
    /** The slowest ack sent in each second of the step, ms. */
    slowest: number[];
    /** Database commands slower than 100 ms during the step (database process only). */
    dbSlow: SlowCommand[];
  }[];
  sustainedRate: number;
  sent: { pageviews: number; heartbeats: number };
  acked: { pageviews: number; heartbeats: number };
  stored: { pageviews: number; heartbeats: number } | null;
}

async function measure(kind: ServerKind, o: CapacityOptions): Promise<ServerFigures> {
  const q = o.quick;
  const server = await startServer(kind, { nodeFlags: o.nodeFlags });
  const gen = await startGenerator();
  try {
    await gen.call('target', { url: server.url });
    await gen.call('dashboards');
    await new Promise((r) => setTimeout(r, 1_000));
    const base = await server.probe();
    const conn = await gen.call<{ connected: number; refused: Record<string, number>; ms: number }>('connect', {
      n: o.trackers,
      rate: 1_000,
    });
    const storm = await gen.call<{ ms: number; acked: number }>('storm', { timeoutMs: 120_000 });
    await new Promise((r) => setTimeout(r, 2_000));
    server.resetDelay();
    const metricsBefore = kind === 'bare' ? null : await readHubMetrics(server.url);
    if (o.profileDir) server.startProfile();
    const cpu = cpuMeter(server.pid);
    const threads = threadCpuMeter(server.pid);
    const dbCpu = server.dbPid ? cpuMeter(server.dbPid) : null;
    const samples: Probe[] = [];
    const sampler = setInterval(() => void server.probe().then((p) => samples.push(p)), q ? 2_000 : 5_000);
    const hold = await gen.call<{
      sent: number;
      acked: number;
      errors: Record<string, number>;
      ackP50: number;
      ackP99: number;
      navP50: number;
      navP99: number;
      navSamples: number;
      genCpu: number;
      genDelayMax: number;
      startedAt: number;
      stalls: { sec: number; ms: number }[];
    }>('hold', {
      seconds: q ? 8 : 120,
      heartbeatMs: q ? 5_000 : 15_000,
      navMs: q ? 10_000 : 60_000,
      drainMs: 30_000,
    });
    clearInterval(sampler);
    const holdEnded = Date.now();
    const cpuShare = cpu();
    const cpuThreads = threads();
    const dbShare = dbCpu ? dbCpu() : null;
    const held = await server.probe();
    samples.push(held);
    const metricsAfter = metricsBefore ? await readHubMetrics(server.url) : null;
    const flushes = metricsBefore && metricsAfter ? flushesBetween(metricsBefore, metricsAfter) : null;
    const rollups = metricsBefore && metricsAfter ? rollupsBetween(metricsBefore, metricsAfter) : null;
    if (o.profileDir)
      console.error(
        `CPU profile of the hold: ${await server.stopProfile(`${o.profileDir}/${kind}-${o.trackers}.cpuprofile`)}`,
      );
    if (o.heapSnapshotDir) {
      console.error(
        `heap snapshot: ${await server.heapSnapshot(`${o.heapSnapshotDir}/${kind}-${o.trackers}.heapsnapshot`)}`,
      );
    }
    const historyMs = kind === 'bare' ? null : await historyReads(server.url);
    const n = Math.max(1, conn.connected);
    const perTrackerKB = (bytes: number) => bytes / n / 1024;
    const median = (field: 'rss' | 'heapUsed' | 'heapTotal' | 'external') =>
      quantile(
        samples.map((x) => x[field]),
        0.5,
      );
    await gen.call('close');
    // The hold's tabs are gone: the hub ends their page views after its disconnect grace. That
    // work belongs to the hold, not to the throughput steps, so wait for it to be done.
    if (!q) await settle(server.pid, server.dbPid);

    // Throughput: a fresh set of 2,000 tabs (fewer when quick), heartbeats at rising rates.
    const tabs = q ? 200 : 2_000;
    await gen.call('connect', { n: tabs, rate: 1_000, first: o.trackers });
    await gen.call('storm', { timeoutMs: 60_000 });
    const steps: ServerFigures['throughput'] = [];
    for (const rate of q ? [500] : [1_000, 2_000, 3_000, 4_000, 5_000, 6_000, 8_000, 10_000]) {
      const m = cpuMeter(server.pid);
      const dbM = server.dbPid ? cpuMeter(server.dbPid) : null;
      const before = kind === 'bare' ? null : await readHubMetrics(server.url);
      server.resetDelay();
      const stepStarted = Date.now();
      const s = await gen.call<{
        sent: number;
        acked: number;
        failed: number;
        p99: number;
        genCpu: number;
        genDelayMax: number;
        slowest: number[];
      }>('rate', { rate, seconds: q ? 3 : 10, drainMs: 30_000 });
      const after = before ? await readHubMetrics(server.url) : null;
      steps.push({
        rate,
        sent: s.sent,
        acked: s.acked,
        p99: s.p99,
        cpu: m(),
        dbCpu: dbM ? dbM() : null,
        genCpu: s.genCpu,
        eldMax: (await server.probe()).eldMax,
        genDelayMax: s.genDelayMax,
        flushes: before && after ? flushesBetween(before, after) : null,
        slowest: s.slowest,
        dbSlow: server.slowCommands().filter((c) => c.at >= stepStarted),
      });
      if (s.acked < s.sent || s.p99 > FLUSH_MS + 500) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const ok = steps.filter((s) => s.acked === s.sent && s.p99 <= FLUSH_MS + 500);
    const totals = await gen.call<{
      pageviewsSent: number;
      pageviewsAcked: number;
      heartbeatsSent: number;
      heartbeatsAcked: number;
    }>('totals');
    await gen.call('close');
    let stored: ServerFigures['stored'] = null;
    if (server.mongoUrl) {
      await new Promise((r) => setTimeout(r, FLUSH_MS * 2));
      // A hub that fell behind is still storing what it was sent: count until the count settles.
      let last = -1;
      for (let i = 0; i < 20; i++) {
        const c = await storedCounts(server.mongoUrl).catch((err: unknown) => {
          console.error(`counting the database failed: ${String(err)}`);
          return null;
        });
        if (!c) break;
        stored = { pageviews: c.pageviews, heartbeats: c.engagedMs / ENGAGED_PER_HEARTBEAT };
        if (c.pageviews + c.engagedMs === last) break;
        last = c.pageviews + c.engagedMs;
        await new Promise((r) => setTimeout(r, FLUSH_MS * 3));
      }
    }
    return {
      server: kind,
      trackers: o.trackers,
      connected: conn.connected,
      refused: conn.refused,
      connectMs: conn.ms,
      rssPerTrackerKB: perTrackerKB(median('rss') - base.rss),
      rssMaxPerTrackerKB: perTrackerKB(Math.max(...samples.map((x) => x.rss)) - base.rss),
      heapPerTrackerKB: perTrackerKB(median('heapUsed') - base.heapUsed),
      heapTotalPerTrackerKB: perTrackerKB(median('heapTotal') - base.heapTotal),
      externalPerTrackerKB: perTrackerKB(median('external') - base.external),
      cpu: cpuShare,
      cpuThreads,
      dbCpu: dbShare,
      genCpu: hold.genCpu,
      eldP99: held.eldP99,
      eldMax: held.eldMax,
      genDelayMax: hold.genDelayMax,
      gcMinorShare: held.gcMinorMs / held.sinceResetMs,
      gcMajorShare: (held.gcMajorMs + held.gcOtherMs) / held.sinceResetMs,
      gcMaxMs: held.gcMaxMs,
      flushes,
      rollups,
      ackP50: hold.ackP50,
      ackP99: hold.ackP99,
      stalls: hold.stalls,
      dbSlow: server
        .slowCommands()
        .filter((c) => c.at >= hold.startedAt && c.at <= holdEnded)
        .map((c) => ({ ...c, sec: Math.floor((c.at - hold.startedAt) / 1000) })),
      navP50: hold.navP50,
      navP99: hold.navP99,
      navSamples: hold.navSamples,
      historyMs,
      holdSent: hold.sent,
      holdAcked: hold.acked,
      holdErrors: hold.errors,
      stormMs: storm.ms,
      stormAcked: storm.acked,
      throughput: steps,
      sustainedRate: ok.length ? ok[ok.length - 1]!.rate : 0,
      sent: { pageviews: totals.pageviewsSent, heartbeats: totals.heartbeatsSent },
      acked: { pageviews: totals.pageviewsAcked, heartbeats: totals.heartbeatsAcked },
      stored,
    };
  } finally {
    await gen.stop();
    await server.stop();
  }
}

/** Reads one agency's `/summary` for today three times, one after another; their latencies. */
async function historyReads(url: string): Promise<number[]> {
  const token = await dashboardToken(0);
  const day = new Date();
  day.setUTCHours(0, 0, 0, 0);
  const from = day.toISOString();
  const to = new Date(day.getTime() + 86_400_000).toISOString();
  const out: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    const res = await fetch(`${url}/api/v1/summary?from=${from}&to=${to}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`/summary answered ${res.status}`);
    out.push(performance.now() - started);
  }
  return out;
}

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? '–' : `${(x * 100).toFixed(0)}%`);
/** The busiest threads first: `main 20% (5%), helpers 6% (0%), …`; the rest summed. */
function byThread(t: ThreadCpu): string {
  const rows = Object.entries(t).sort(([, a], [, b]) => b.user + b.system - (a.user + a.system));
  const shown = rows.slice(0, 3).map(([name, c]) => `${name} ${pct(c.user + c.system)} (${pct(c.system)})`);
  const rest = rows.slice(3).reduce((n, [, c]) => n + c.user + c.system, 0);
  return [...shown, ...(rest > 0 ? [`others ${pct(rest)}`] : [])].join(', ');
}
const pct1 = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '–');
const ratio = (a: number, b: number) => (Number.isFinite(a / b) && b > 0 ? `${(a / b).toFixed(1)}×` : '–');

/** How many commands the database logged as slow, the longest, and the kinds that were slow most often. */
function slowSummary(slow: SlowCommand[]): string {
  if (slow.length === 0) return '0';
  const kinds = new Map<string, number>();
  for (const c of slow) kinds.set(`${c.command} ${c.ns}`, (kinds.get(`${c.command} ${c.ns}`) ?? 0) + 1);
  const most = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 3);
  return `${slow.length} (${Math.max(...slow.map((c) => c.ms))} ms; ${most.map(([k, n]) => `${k} ${n}`).join(', ')})`;
}

/** The table: one column per server, hub/bare ratios in brackets. */
export function formatTable(rows: ServerFigures[]): string {
  const bare = rows.find((r) => r.server === 'bare');
  const cell = (r: ServerFigures, v: string, a?: number, b?: number) =>
    bare && r !== bare && a !== undefined && b !== undefined ? `${v} (${ratio(a, b)})` : v;
  const lines: [string, (r: ServerFigures) => string][] = [
    [
      'trackers connected',
      (r) =>
        `${r.connected}/${r.trackers}${Object.keys(r.refused).length ? ` refused ${JSON.stringify(r.refused)}` : ''}`,
    ],
    [
      'RSS per tracker (hold median)',
      (r) => cell(r, `${r.rssPerTrackerKB.toFixed(1)} KB`, r.rssPerTrackerKB, bare?.rssPerTrackerKB),
    ],
    [
      'RSS per tracker (hold max)',
      (r) => cell(r, `${r.rssMaxPerTrackerKB.toFixed(1)} KB`, r.rssMaxPerTrackerKB, bare?.rssMaxPerTrackerKB),
    ],
    [
      'heap used / committed / external per tracker (hold median)',
      (r) =>
        [r.heapPerTrackerKB, r.heapTotalPerTrackerKB, r.externalPerTrackerKB].map((v) => v.toFixed(1)).join(' / ') +
        ' KB',
    ],
    [
      'server CPU (hold)',
      (r) => cell(r, pct(r.cpu), r.cpu, bare?.cpu) + (r.dbCpu !== null ? ` + DB ${pct(r.dbCpu)}` : ''),
    ],
    ['server CPU by thread (of it system)', (r) => byThread(r.cpuThreads)],
    ['generator CPU (hold)', (r) => pct(r.genCpu)],
    ['event-loop delay p99 / max', (r) => `${ms(r.eldP99)} / ${ms(r.eldMax)} ms`],
    ['generator event-loop delay max (hold)', (r) => `${ms(r.genDelayMax)} ms`],
    [
      'GC, share of hold: scavenges / full and incremental marking (longest pause)',
      (r) => `${pct1(r.gcMinorShare)} / ${pct1(r.gcMajorShare)} (${ms(r.gcMaxMs)} ms)`,
    ],
    ['ack p50 / p99', (r) => `${ms(r.ackP50)} / ${ms(r.ackP99)} ms`],
    [
      'seconds of the hold with an ack > 1 s (slowest)',
      (r) => `${r.stalls.length} (${ms(Math.max(0, ...r.stalls.map((x) => x.ms)))} ms)`,
    ],
    ['database commands > 100 ms in the hold (longest; most)', (r) => slowSummary(r.dbSlow)],
    [
      'database flushes: count, mean ms, p99 under, events each',
      (r) =>
        r.flushes
          ? `${r.flushes.flushes}, ${ms(r.flushes.meanMs)} ms, ${Number.isFinite(r.flushes.p99UnderMs) ? `≤ ${r.flushes.p99UnderMs} ms` : 'beyond the largest bucket'}, ${r.flushes.eventsPerFlush.toFixed(0)}`
          : '–',
    ],
    [
      'rollup runs in the hold: runs, work s, page views, rollups',
      (r) =>
        r.rollups
          ? `${r.rollups.runs}, ${r.rollups.workS.toFixed(1)} s, ${r.rollups.pageviews}, ${r.rollups.keys}`
          : '–',
    ],
    ['navigation → dashboard p50 / p99', (r) => `${ms(r.navP50)} / ${ms(r.navP99)} ms (${r.navSamples})`],
    [
      'History /summary right after the hold: first (catch-up) / then',
      (r) => (r.historyMs ? `${r.historyMs.map(ms).join(' / ')} ms` : '–'),
    ],
    [
      'hold events sent / acked',
      (r) =>
        `${r.holdSent} / ${r.holdAcked}${Object.keys(r.holdErrors).length ? ` ${JSON.stringify(r.holdErrors)}` : ''}`,
    ],
    [
      'storm: first page views acked',
      (r) => cell(r, `${r.stormAcked} in ${(r.stormMs / 1000).toFixed(1)} s`, r.stormMs, bare?.stormMs),
    ],
    [
      'sustained heartbeats/s (p99 ≤ flush+500)',
      (r) => cell(r, String(r.sustainedRate), r.sustainedRate, bare?.sustainedRate),
    ],
    [
      'throughput steps rate:p99 ms (CPU)',
      (r) => r.throughput.map((s) => `${s.rate}:${ms(s.p99)}(${pct(s.cpu)})`).join(' '),
    ],
    [
      'page views sent / acked / stored',
      (r) => `${r.sent.pageviews} / ${r.acked.pageviews} / ${r.stored?.pageviews ?? '–'}`,
    ],
    [
      'heartbeats sent / acked / stored',
      (r) => `${r.sent.heartbeats} / ${r.acked.heartbeats} / ${r.stored?.heartbeats ?? '–'}`,
    ],
  ];
  const w0 = Math.max(...lines.map(([l]) => l.length));
  const cols = rows.map((r) => lines.map(([, f]) => f(r)));
  const widths = rows.map((r, i) => Math.max(r.server.length, ...cols[i]!.map((c) => c.length)));
  const out = [
    `| ${''.padEnd(w0)} | ${rows.map((r, i) => r.server.padEnd(widths[i]!)).join(' | ')} |`,
    `| ${'-'.repeat(w0)} | ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
    ...lines.map(([l], k) => `| ${l.padEnd(w0)} | ${cols.map((c, i) => c[k]!.padEnd(widths[i]!)).join(' | ')} |`),
  ];
  return out.join('\n');
}

/**
 * One line per throughput step and server: what a slow step waited for. The hub's CPU is core
 * 0's; the database process and the generator share core 1; the event loop's longest delay and
 * the flushes are the hub's own; then the slowest ack of each second of the step.
 */
export function formatSteps(rows: ServerFigures[]): string {
  const out = [
    'Throughput steps: rate/s: ack p99; CPU hub / db / generator; event-loop delay max; hub flushes; slow database commands; slowest ack per second',
  ];
  for (const r of rows)
    for (const s of r.throughput) {
      const f = s.flushes;
      out.push(
        `  ${r.server} ${s.rate}: p99 ${ms(s.p99)} ms; CPU ${pct(s.cpu)} / ${s.dbCpu === null ? '–' : pct(s.dbCpu)} / ${pct(s.genCpu)}; ` +
          `loop max hub ${ms(s.eldMax)} / generator ${ms(s.genDelayMax)} ms; ${f ? `${f.flushes} × ${ms(f.meanMs)} ms, ${f.eventsPerFlush.toFixed(0)} events each` : '–'}; ` +
          (s.dbSlow.length
            ? `db > 100 ms: ${s.dbSlow.map((c) => `${c.command} ${c.ns} ${ms(c.ms)}`).join(', ')}; `
            : '') +
          s.slowest.join(' '),
      );
    }
  return out.join('\n');
}

export async function run(argv: string[] = []): Promise<ServerFigures[]> {
  const o = parseOptions(argv);
  const rows: ServerFigures[] = [];
  for (const kind of o.only) {
    console.error(`capacity: ${kind}, ${o.trackers} trackers${o.quick ? ' (quick)' : ''}…`);
    rows.push(await measure(kind, o));
    console.error(`capacity: ${kind}: ${JSON.stringify(rows[rows.length - 1])}`);
  }
  console.log(
    `\nCapacity, ${o.trackers} trackers${o.quick ? ' (--quick: short phases, no thresholds)' : ''}; server on core 0, generator on core 1`,
  );
  console.log(formatTable(rows));
  console.log(`\n${formatSteps(rows)}`);
  if (o.json) console.log(JSON.stringify({ options: o, results: rows }, null, 2));
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run(process.argv.slice(2));
