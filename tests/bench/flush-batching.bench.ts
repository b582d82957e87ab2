/**
 * How many heartbeats one database flush carries under load.
 *
 *   npx tsx tests/bench/flush-batching.bench.ts      (FLUSH_BENCH_TABS=200, FLUSH_BENCH_SECONDS=10)
 *
 * Starts the built hub (`server/dist/main.js`, default FLUSH_INTERVAL_MS unless set) against the
 * standalone embedded database, then drives FakeTracker tabs that each send a heartbeat every
 * 100–200 ms without waiting for acks, as the tracker's outbox does. Reads the hub's own
 * `hub_flush_batch_events` histogram (sum/count over the heartbeat phase only) and reports
 * events per flush (one flush = one bulkWrite round) against a baseline of 1 tab in the same run,
 * plus ack and flush latency.
 */
import { pathToFileURL } from 'node:url';
import { devToken } from '../helpers/hub.ts';
import { hubEnv, metricValue, scrape, spawnHub, startDbProcess, type HubProcess } from '../helpers/hub-process.ts';
import { FakeTracker } from '../helpers/track-client.ts';

export interface FlushBatchingResult {
  suite: 'flush-batching';
  tabs: number;
  seconds: number;
  flushIntervalMs: number;
  heartbeatsSent: number;
  heartbeatsAcked: number;
  flushes: number;
  eventsPerFlush: number;
  avgAckMs: number;
  avgFlushMs: number;
  /** eventsPerFlush against the 1-tab baseline of the same run. */
  ratioToOneTab: number;
}

const TABS = Number(process.env.FLUSH_BENCH_TABS ?? 200);
const SECONDS = Number(process.env.FLUSH_BENCH_SECONDS ?? 10);
const USERS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Counters {
  flushSum: number;
  flushCount: number;
  flushMsSum: number;
  ackSum: number;
  ackCount: number;
}
async function counters(hub: HubProcess): Promise<Counters> {
  const text = await scrape(hub.url);
  return {
    flushSum: metricValue(text, 'hub_flush_batch_events_sum') ?? 0,
    flushCount: metricValue(text, 'hub_flush_batch_events_count') ?? 0,
    flushMsSum: metricValue(text, 'hub_flush_latency_ms_sum') ?? 0,
    ackSum: metricValue(text, 'hub_ack_latency_ms_sum', { type: 'heartbeat' }) ?? 0,
    ackCount: metricValue(text, 'hub_ack_latency_ms_count', { type: 'heartbeat' }) ?? 0,
  };
}

async function measure(
  hub: HubProcess,
  tokens: string[],
  tabs: number,
  seconds: number,
): Promise<Omit<FlushBatchingResult, 'ratioToOneTab'>> {
  const trackers: { tr: FakeTracker; pv: { id: string } }[] = [];
  for (let i = 0; i < tabs; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, tabs - i) }, async (_, j) => {
        const tr = await FakeTracker.connect(hub.url, tokens[(i + j) % tokens.length]!);
        const pv = tr.pageview(`/bench/${i + j}`);
        const ack = await tr.send(pv, 30_000);
        if (!ack.ok) throw new Error(`page view refused: ${JSON.stringify(ack)}`);
        return { tr, pv };
      }),
    );
    trackers.push(...batch);
  }
  await sleep(1_500); // let the page views' flushes settle out of the measured window
  const before = await counters(hub);
  let sent = 0;
  let acked = 0;
  const acks: Promise<void>[] = [];
  const until = Date.now() + seconds * 1_000;
  await Promise.all(
    trackers.map(async ({ tr, pv }) => {
      await sleep(Math.random() * 200);
      while (Date.now() < until) {
        sent++;
        acks.push(
          tr.send(tr.heartbeat(pv.id, 100), 30_000).then(
            (a) => void (a.ok && acked++),
            () => undefined,
          ),
        );
        await sleep(100 + Math.random() * 100);
      }
    }),
  );
  await Promise.all(acks);
  const after = await counters(hub);
  for (const { tr } of trackers) tr.close();
  const flushes = after.flushCount - before.flushCount;
  const events = after.flushSum - before.flushSum;
  return {
    suite: 'flush-batching',
    tabs,
    seconds,
    flushIntervalMs: Number(hub.env.FLUSH_INTERVAL_MS),
    heartbeatsSent: sent,
    heartbeatsAcked: acked,
    flushes,
    eventsPerFlush: flushes ? events / flushes : 0,
    avgAckMs: (after.ackSum - before.ackSum) / Math.max(1, after.ackCount - before.ackCount),
    avgFlushMs: (after.flushMsSum - before.flushMsSum) / Math.max(1, flushes),
  };
}

/** Runs the baseline (1 tab) and the load (TABS tabs); prints and returns both. */
export async function run(): Promise<FlushBatchingResult[]> {
  const db = await startDbProcess();
  // The production flush interval unless FLUSH_INTERVAL_MS says otherwise; no Redis (one hub).
  const hub = await spawnHub(
    'bench',
    hubEnv(`${db.url}flush_bench`, null, {
      FLUSH_INTERVAL_MS: process.env.FLUSH_INTERVAL_MS ?? '1000',
      LOG_LEVEL: 'error',
    }),
  );
  try {
    const tokens = await Promise.all(
      Array.from({ length: USERS }, (_, i) =>
        devToken(hub.url, { userId: `bench-${i}`, role: 'location', agencyId: 'ag-bench', locationId: `loc-${i % 4}` }),
      ),
    );
    const base = await measure(hub, tokens, 1, Math.min(SECONDS, 5));
    const load = await measure(hub, tokens, TABS, SECONDS);
    const results: FlushBatchingResult[] = [
      { ...base, ratioToOneTab: 1 },
      { ...load, ratioToOneTab: base.eventsPerFlush ? load.eventsPerFlush / base.eventsPerFlush : NaN },
    ];
    for (const r of results) {
      console.log(
        `${String(r.tabs).padStart(4)} tab(s), ${r.seconds} s, flush every ${r.flushIntervalMs} ms: ${r.heartbeatsAcked}/${r.heartbeatsSent} heartbeats acked in ${r.flushes} flushes` +
          ` = ${r.eventsPerFlush.toFixed(1)} events per flush (x${r.ratioToOneTab.toFixed(1)} vs 1 tab); avg ack ${r.avgAckMs.toFixed(0)} ms, avg flush ${r.avgFlushMs.toFixed(1)} ms`,
      );
    }
    console.log(JSON.stringify(results));
    return results;
  } finally {
    await hub.terminate();
    await db.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
