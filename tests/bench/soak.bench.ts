/**
 * `npm run bench -- soak [--minutes 10] [--trackers 2000] [--server hub|hub-db-process] [--json]`
 *                        `[--profile DIR]` (a CPU profile of the whole hold, for profile-summary.ts)
 *
 * Issue 12's soak: every tracker heartbeats twice a second for the whole run (about 1,200
 * heartbeats on one page view in 10 minutes, a working day's worth at 15 s). Every 30 s it
 * reports the hub's RSS and heap after a full garbage collection, and the event-loop delay p99
 * of the window (read before that collection); at the end the memory slopes after
 * warm-up, events sent / acked / stored, and the largest page view document. Same processes
 * and generator as the capacity benchmark (hub on core 0, generator on core 1).
 */
import { pathToFileURL } from 'node:url';
import { ENGAGED_PER_HEARTBEAT } from './load/generator-constants.ts';
import { startGenerator, startServer, storedCounts, type ServerKind } from './load/servers.ts';
import { ms, slope } from './load/stats.ts';

const WINDOW_S = 30;

export async function run(argv: string[] = []) {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const minutes = Number(get('--minutes') ?? 10);
  const trackers = Number(get('--trackers') ?? 2_000);
  const kind = (get('--server') ?? 'hub') as ServerKind;
  // A full collection before each memory reading: the slope is of what is retained, not of
  // where the garbage sawtooth happened to be (the delay is read before it).
  const server = await startServer(kind, { nodeFlags: ['--expose-gc'] });
  const gen = await startGenerator();
  const samples: {
    t: number;
    rssMB: number;
    heapMB: number;
    eldP99: number;
    sent: number;
    acked: number;
    ackP99: number;
  }[] = [];
  try {
    await gen.call('target', { url: server.url });
    await gen.call('dashboards');
    const conn = await gen.call<{ connected: number }>('connect', { n: trackers, rate: 1_000 });
    await gen.call('storm', { timeoutMs: 60_000 });
    const profileDir = get('--profile');
    if (profileDir) server.startProfile();
    const started = performance.now();
    const windows = Math.max(1, Math.round((minutes * 60) / WINDOW_S));
    for (let w = 0; w < windows; w++) {
      server.resetDelay();
      const h = await gen.call<{ sent: number; acked: number; ackP99: number }>('hold', {
        seconds: WINDOW_S,
        heartbeatMs: 500,
        navMs: 1e12,
        drainMs: 0,
      });
      const p = await server.probe({ afterGc: true });
      const s = {
        t: (performance.now() - started) / 60_000,
        rssMB: p.rss / 1e6,
        heapMB: p.heapUsed / 1e6,
        eldP99: p.eldP99,
        sent: h.sent,
        acked: h.acked,
        ackP99: h.ackP99,
      };
      samples.push(s);
      console.error(
        `soak ${s.t.toFixed(1)} min: RSS ${s.rssMB.toFixed(0)} MB, heap ${s.heapMB.toFixed(0)} MB, loop p99 ${ms(s.eldP99)} ms, ${s.sent} sent / ${s.acked} acked in window, ack p99 ${ms(s.ackP99)} ms`,
      );
    }
    if (profileDir)
      console.error(
        `CPU profile of the soak: ${await server.stopProfile(`${profileDir}/soak-${kind}-${trackers}.cpuprofile`)}`,
      );
    await gen.call('hold', { seconds: 0, heartbeatMs: 500, navMs: 1e12, drainMs: 60_000 });
    const totals = await gen.call<{
      heartbeatsSent: number;
      heartbeatsAcked: number;
      pageviewsAcked: number;
      errors: Record<string, number>;
    }>('totals');
    await new Promise((r) => setTimeout(r, 3_000));
    const stored = server.mongoUrl ? await storedCounts(server.mongoUrl) : null;
    // Warm-up: the first fifth of the run, at least one window.
    const warm = samples.slice(Math.max(1, Math.floor(samples.length / 5)));
    const result = {
      server: kind,
      trackers: conn.connected,
      minutes,
      rssSlopeMBPerMin: slope(warm.map((s) => ({ x: s.t, y: s.rssMB }))),
      heapSlopeMBPerMin: slope(warm.map((s) => ({ x: s.t, y: s.heapMB }))),
      eldP99Max: Math.max(...samples.map((s) => s.eldP99)),
      heartbeats: {
        sent: totals.heartbeatsSent,
        acked: totals.heartbeatsAcked,
        stored: stored ? stored.engagedMs / ENGAGED_PER_HEARTBEAT : null,
      },
      pageviews: { acked: totals.pageviewsAcked, stored: stored?.pageviews ?? null },
      errors: totals.errors,
      heartbeatsPerPageview: totals.heartbeatsAcked / Math.max(1, conn.connected),
      largestPageviewBytes: stored?.maxDocBytes ?? null,
      samples,
    };
    console.log(
      `\nSoak: ${result.trackers} trackers × 2 heartbeats/s for ${minutes} min on ${kind} (hub on core 0, generator on core 1)`,
    );
    console.log('  min   RSS MB  heap MB  loop p99 ms  sent/30s  acked/30s  ack p99 ms');
    for (const s of samples)
      console.log(
        `${s.t.toFixed(1).padStart(5)} ${s.rssMB.toFixed(0).padStart(8)} ${s.heapMB.toFixed(0).padStart(8)} ${ms(s.eldP99).padStart(12)} ${String(s.sent).padStart(9)} ${String(s.acked).padStart(10)} ${ms(s.ackP99).padStart(11)}`,
      );
    console.log(
      `slope after warm-up: RSS ${result.rssSlopeMBPerMin.toFixed(2)} MB/min, heap ${result.heapSlopeMBPerMin.toFixed(2)} MB/min (wanted < 1)`,
    );
    console.log(`event-loop delay p99 (worst window): ${ms(result.eldP99Max)} ms (wanted < 100)`);
    console.log(
      `heartbeats sent / acked / stored: ${result.heartbeats.sent} / ${result.heartbeats.acked} / ${result.heartbeats.stored ?? '–'}; page views acked / stored: ${result.pageviews.acked} / ${result.pageviews.stored ?? '–'}; errors ${JSON.stringify(result.errors)}`,
    );
    console.log(
      `heartbeats per page view: ${result.heartbeatsPerPageview.toFixed(0)}; largest page view document: ${result.largestPageviewBytes ?? '–'} bytes`,
    );
    if (argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
    return result;
  } finally {
    await gen.stop();
    await server.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run(process.argv.slice(2));
