/**
 * Benchmark of the history summary:  npx tsx tests/bench/history.bench.ts
 *
 * Loads one agency with HISTORY_BENCH_PAGEVIEWS (default 1M) page views through the seed code
 * path into an embedded server in this process (':memory:', opened as the hub opens it: on a
 * thread of its own, with the patient monitor), and a 10k baseline agency into another (and
 * both on MongoDB too when MONGO_URL is set). Measures
 * `HistoryStats.summary` as the route runs it (catch-up + rollup read) for day/30 days,
 * week/26 weeks and month/12 months (p50/p95), against the 10k baseline and, for the day case,
 * the same buckets aggregated from raw page views without rollups. Then the weekday × hour
 * heatmap (`GET /heatmap` without HTTP) over 30 and 365 days in Asia/Kolkata.
 * HISTORY_BENCH_ONLY=heatmap skips the summary cases. HISTORY_BENCH_SKIP_IN_PROCESS=1 with
 * MONGO_URL measures only there (for example an embedded server started in its own process, so
 * that its million documents are not in this process's heap: see README's History figures and docs/performance-log.md).
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { LIMITS, type Granularity } from '@activity-hub/protocol';
import { calendarRange } from '../../server/src/domain/calendar-buckets.ts';
import { heatmap } from '../../server/src/domain/heatmap.ts';
import { HistoryStats } from '../../server/src/domain/history-stats.ts';
import { RollupJob } from '../../server/src/domain/rollup-job.ts';
import { seedDatabase } from '../../server/src/cli/seed-run.ts';
import { createLogger } from '../../server/src/logger.ts';
import { openDatabase, type Database } from '../../server/src/storage/database.ts';
import { openStatsStorage, type StatsStorage } from '../../server/src/storage/stats-storage.ts';

export interface HistoryBenchResult {
  suite: 'history';
  target: string;
  pageviews: number;
  /** A summary granularity, or a heatmap over the last N days. */
  granularity: Granularity | `heatmap ${number}d`;
  p50Ms: number;
  p95Ms: number;
  /** `/top-pages` and `/users` over the same range (the days of this case). */
  topPagesP95Ms?: number;
  usersP95Ms?: number;
  /** Same summary on the 10k page-view baseline of the same run. */
  ratioToBaseline: number;
  /** The same buckets aggregated from raw page views, without rollups (one run; day case only). */
  rawMs: number | null;
  /** rawMs / p50Ms. */
  speedupVsRaw: number | null;
}

const CASES: { granularity: Granularity; days: number }[] = [
  { granularity: 'day', days: 30 },
  { granularity: 'week', days: 26 * 7 },
  { granularity: 'month', days: 365 },
];
const RUNS = 20;
/** A case stops early once it has used this much time (the embedded server is slow on big scans). */
const CASE_BUDGET_MS = 20_000;
const BIG = Number(process.env.HISTORY_BENCH_PAGEVIEWS ?? 1_000_000);
const SMALL = 10_000;
const END = Date.UTC(2026, 10, 1);
const TZ = 'America/New_York';

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;

interface Loaded {
  db: Database;
  stats: StatsStorage;
  history: HistoryStats;
  catchUp: () => Promise<unknown>;
  loadMs: number;
}

/** Seeds one agency ("acme") with `pageviews` page views over a year, 50 users. */
/** `url` null: an embedded server of its own, in this process. */
async function load(url: string | null, pageviews: number): Promise<Loaded> {
  const log = createLogger('silent');
  const mongoUrl = url ? `${url}bench_${randomUUID().slice(0, 8)}` : undefined;
  const db = await openDatabase({ mongoUrl, dataDir: ':memory:', log });
  const stats = await openStatsStorage(db);
  const started = Date.now();
  // ~1M page views a year for 50 users is ~80 a working day each.
  const perDay = Math.max(1, Math.round((pageviews / 50 / 365) * 1.35));
  const seed = { agencies: 1, users: 50, days: 366, reset: true, seed: 7, endAt: END };
  await seedDatabase(db, stats, { ...seed, pageviewsPerDay: perDay, maxPageviews: pageviews });
  const timing = { intervalMs: 60_000, leaseMs: 30_000, marginMs: 5_000, batchKeys: 2_000, clock: Date.now };
  const job = new RollupJob(stats.rollups, stats.jobState, { owner: 'bench', ...timing, onError: console.error });
  const catchUp = () => job.catchUp();
  return { db, stats, history: new HistoryStats(stats.reader, catchUp), catchUp, loadMs: Date.now() - started };
}

async function timeRuns(fn: () => Promise<unknown>, runs: number): Promise<number[]> {
  const out: number[] = [];
  const started = Date.now();
  for (let i = 0; i < runs && (i < Math.min(3, runs) || Date.now() - started < CASE_BUDGET_MS); i++) {
    const t = performance.now();
    await fn();
    out.push(performance.now() - t);
  }
  return out;
}

async function measure(target: string, big: Loaded, small: Loaded): Promise<HistoryBenchResult[]> {
  const results: HistoryBenchResult[] = [];
  // The first read after loading pays one-off costs (the embedded server builds its ordered index
  // views lazily); report it, then measure warm.
  const year = { agencyId: 'acme', from: new Date(END - 365 * 86_400_000), to: new Date(END) };
  const warm = { granularity: 'month' as const, tz: TZ, weekStart: 'monday' as const };
  for (const [name, l] of [
    ['1M', big],
    ['10k', small],
  ] as const) {
    const t = performance.now();
    await l.history.summary(year, warm);
    console.log(`${target}: first summary after loading (${name}): ${(performance.now() - t).toFixed(0)} ms`);
  }
  for (const c of process.env.HISTORY_BENCH_ONLY === 'heatmap' ? [] : CASES) {
    const from = new Date(END - c.days * 86_400_000);
    const spec = { granularity: c.granularity, tz: TZ, weekStart: 'monday' as const };
    const q = { agencyId: 'acme', from, to: new Date(END) };
    const bigMs = await timeRuns(() => big.history.summary(q, spec), RUNS);
    const smallMs = await timeRuns(() => small.history.summary(q, spec), RUNS);
    // The raw aggregate scans every page view in range: one run, and only for the 30-day case
    // (a year of a million page views takes minutes on the embedded server).
    const { boundaries } = calendarRange(from, new Date(END), spec);
    const raw =
      c.granularity === 'day'
        ? await timeRuns(
            () =>
              big.stats.reader.bucketTotals(
                { agencyId: 'acme' },
                'pageviews',
                boundaries.map((b) => new Date(b)),
              ),
            1,
          )
        : [];
    const rawMs = raw.length ? (raw[0] as number) : null;
    const p50 = pct(bigMs, 0.5);
    console.log(
      `${target} ${c.granularity}: p50 ${p50.toFixed(0)} ms (${bigMs.length} runs), 10k baseline p50 ${pct(smallMs, 0.5).toFixed(0)} ms, raw ${rawMs === null ? '-' : rawMs.toFixed(0)} ms`,
    );
    // The dashboard asks for top pages and users over the same range beside each chart.
    const pagesMs = await timeRuns(() => big.history.topPages(q, 20), RUNS);
    const usersMs = await timeRuns(() => big.history.users(q, LIMITS.pageSizeMax), RUNS);
    console.log(
      `${target} ${c.days} days: top-pages p50/p95 ${pct(pagesMs, 0.5).toFixed(0)}/${pct(pagesMs, 0.95).toFixed(0)} ms, users p50/p95 ${pct(usersMs, 0.5).toFixed(0)}/${pct(usersMs, 0.95).toFixed(0)} ms`,
    );
    results.push({
      suite: 'history',
      target,
      pageviews: BIG,
      granularity: c.granularity,
      topPagesP95Ms: Math.round(pct(pagesMs, 0.95)),
      usersP95Ms: Math.round(pct(usersMs, 0.95)),
      p50Ms: Math.round(p50),
      p95Ms: Math.round(pct(bigMs, 0.95)),
      ratioToBaseline: +(p50 / pct(smallMs, 0.5)).toFixed(2),
      rawMs: rawMs === null ? null : Math.round(rawMs),
      speedupVsRaw: rawMs === null ? null : Math.round(rawMs / p50),
    });
  }
  results.push(...(await measureHeatmap(target, big, small)));
  return results;
}

/** `GET /heatmap` as the route runs it (catch-up + rollup read), in a half-hour zone. */
async function measureHeatmap(target: string, big: Loaded, small: Loaded): Promise<HistoryBenchResult[]> {
  const results: HistoryBenchResult[] = [];
  const spec = { tz: 'Asia/Kolkata', weekStart: 'monday' as const };
  for (const days of [30, 365]) {
    const q = { agencyId: 'acme', from: new Date(END - days * 86_400_000), to: new Date(END) };
    const run = (l: Loaded) => () => heatmap(l.stats.reader, l.catchUp, q, spec);
    const bigMs = await timeRuns(run(big), RUNS);
    const smallMs = await timeRuns(run(small), RUNS);
    const p50 = pct(bigMs, 0.5);
    console.log(
      `${target} heatmap ${days}d: p50 ${p50.toFixed(0)} ms p95 ${pct(bigMs, 0.95).toFixed(0)} ms (${bigMs.length} runs), 10k baseline p50 ${pct(smallMs, 0.5).toFixed(0)} ms`,
    );
    results.push({
      suite: 'history',
      target,
      pageviews: BIG,
      granularity: `heatmap ${days}d`,
      p50Ms: Math.round(p50),
      p95Ms: Math.round(pct(bigMs, 0.95)),
      ratioToBaseline: +(p50 / pct(smallMs, 0.5)).toFixed(2),
      rawMs: null,
      speedupVsRaw: null,
    });
  }
  return results;
}

/** A table of the results. */
export function formatTable(results: HistoryBenchResult[]): string {
  const head =
    'target      page views  granularity  p50 ms  p95 ms  ×10k baseline  raw ms  raw/p50  top-pages p95  users p95';
  const cell = (v: unknown, w: number) => String(v ?? '-').padStart(w);
  const rows = results.map(
    (r) =>
      `${r.target.padEnd(10)}${cell(r.pageviews, 12)}${cell(r.granularity, 13)}${cell(r.p50Ms, 8)}${cell(r.p95Ms, 8)}` +
      `${cell(r.ratioToBaseline, 15)}${cell(r.rawMs, 8)}${cell(r.speedupVsRaw === null ? null : `${r.speedupVsRaw}×`, 9)}` +
      `${cell(r.topPagesP95Ms, 15)}${cell(r.usersP95Ms, 11)}`,
  );
  return [head, ...rows].join('\n');
}

async function runTarget(target: string, url: string | null): Promise<HistoryBenchResult[]> {
  const small = await load(url, SMALL);
  const big = await load(url, BIG).catch(async (err: unknown) => {
    await small.db.close();
    throw err;
  });
  console.log(
    `${target}: loaded ${BIG.toLocaleString('en-US')} page views in ${(big.loadMs / 1000).toFixed(1)} s (${Math.round(BIG / (big.loadMs / 1000)).toLocaleString('en-US')}/s, rollups included); 10k in ${(small.loadMs / 1000).toFixed(1)} s`,
  );
  try {
    return await measure(target, big, small);
  } finally {
    await big.db.close();
    await small.db.close();
  }
}

export async function run(): Promise<HistoryBenchResult[]> {
  const results: HistoryBenchResult[] = [];
  const inProcess = !(process.env.MONGO_URL && process.env.HISTORY_BENCH_SKIP_IN_PROCESS === '1');
  if (inProcess) results.push(...(await runTarget('embedded', null)));
  if (process.env.MONGO_URL)
    results.push(...(await runTarget('mongodb', process.env.MONGO_URL.replace(/\/[^/?]*(\?.*)?$/, '/'))));
  console.log(formatTable(results));
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  run().then(
    () => console.log(`history bench finished in ${((Date.now() - started) / 1000).toFixed(1)} s`),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
