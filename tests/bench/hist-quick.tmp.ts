import { randomUUID } from 'node:crypto';
import { HistoryStats } from '../../server/src/domain/history-stats.ts';
import { RollupJob } from '../../server/src/domain/rollup-job.ts';
import { startEmbeddedMongo } from '@activity-hub/embedded-mongo';
import { seedDatabase } from '../../server/src/cli/seed-run.ts';
import { createLogger } from '../../server/src/logger.ts';
import { openDatabase } from '../../server/src/storage/database.ts';
import { openStatsStorage } from '../../server/src/storage/stats-storage.ts';
const N = Number(process.env.N ?? 1000000);
const END = Date.UTC(2026, 10, 1);
const embedded = await startEmbeddedMongo({ port: 0, dataDir: ':memory:', log: () => undefined });
const url = embedded.url.endsWith('/') ? embedded.url : `${embedded.url}/`;
const db = await openDatabase({
  mongoUrl: `${url}b_${randomUUID().slice(0, 8)}`,
  dataDir: ':memory:',
  log: createLogger('silent'),
});
const stats = await openStatsStorage(db);
const perDay = Math.max(1, Math.round((N / 50 / 365) * 1.35));
let t0 = performance.now();
await seedDatabase(db, stats, {
  agencies: 1,
  users: 50,
  days: 366,
  reset: true,
  seed: 7,
  endAt: END,
  pageviewsPerDay: perDay,
  maxPageviews: N,
});
console.log('load', ((performance.now() - t0) / 1000).toFixed(0), 's');
const job = new RollupJob(stats.rollups, stats.jobState, {
  owner: 'b',
  intervalMs: 60000,
  leaseMs: 30000,
  marginMs: 5000,
  batchKeys: 2000,
  clock: Date.now,
  onError: console.error,
});
const h = new HistoryStats(stats.reader, () => job.catchUp());
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!.toFixed(0);
async function time(name: string, fn: () => Promise<unknown>) {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  console.log(name.padEnd(24), 'p50', pct(xs, 0.5), 'p95', pct(xs, 0.95));
}
for (const [g, days] of [
  ['day', 30],
  ['week', 182],
  ['month', 365],
] as const) {
  const q = { agencyId: 'acme', from: new Date(END - days * 86400000), to: new Date(END) };
  const spec = { granularity: g, tz: 'America/New_York', weekStart: 'monday' as const };
  await time(`summary ${g}/${days}d`, () => h.summary(q, spec));
  await time(`top-pages ${days}d`, () => h.topPages(q, 20));
  await time(`users ${days}d`, () => h.users(q, 500));
}
await db.close();
await embedded.close();
