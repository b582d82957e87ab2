import { TZDate } from '@date-fns/tz';
import { addDays, startOfDay } from 'date-fns';
import { dayOf, foldDays } from '../domain/rollup-days.ts';
import { foldRollups } from '../domain/rollup-keys.ts';
import { monthId, monthKeyOf, type MonthKey } from '../domain/rollup-months.ts';
import { untilSettled } from '../storage/rollup-cas.ts';
import { rebuildMonths } from '../storage/rollup-month-store.ts';
import { rebuildPathDays } from '../storage/rollup-path-day-store.ts';
import { pathDayId, pathDayKeyOf, type PathDayKey } from '../domain/rollup-path-days.ts';
import type { Database } from '../storage/database.ts';
import type { PageviewDoc, SessionDoc } from '../storage/models.ts';
import type { StatsStorage } from '../storage/stats-storage.ts';
import { buildAgencies, prng } from './seed-catalog.ts';
import { userDay } from './seed-data.ts';
import { writeDays, writeRollups } from './seed-writes.ts';

export interface SeedOptions {
  agencies: number;
  /** Users per agency. */
  users: number;
  days: number;
  reset: boolean;
  /** PRNG seed: the same options give the same people, pages and times. */
  seed: number;
  /** Mean page views per weekday of an average user. */
  pageviewsPerDay: number;
  /** Stop after exactly this many page views. */
  maxPageviews?: number;
  /** Last instant to generate (default: ten minutes ago, behind any running rollup job). */
  endAt?: number;
}

export interface SeedResult {
  agencies: number;
  users: number;
  pageviews: number;
  sessions: number;
  rollups: number;
  ms: number;
}

const BATCH = 10_000;
type Folded = ReturnType<typeof foldRollups>;

/** Empties what the seed writes. */
async function reset(db: Database, stats: StatsStorage): Promise<void> {
  const { rollups, days, months, pathDays, meta } = stats.collections;
  await Promise.all([
    db.models.pageviews.deleteMany({}),
    db.models.sessions.deleteMany({}),
    rollups.deleteMany({}),
    days.deleteMany({}),
    months.deleteMany({}),
    pathDays.deleteMany({}),
    meta.deleteMany({}),
  ]);
}

/**
 * Fills the database with demo activity, oldest day first: generate, insert page views and
 * sessions in batches (driver insertMany, one batch in flight while the next is generated),
 * and build the rollups of what was inserted. Finally the rollup watermark is set if there was
 * none, so a hub starting on this database does not roll the history up a second time.
 */
export async function seedDatabase(
  db: Database,
  stats: StatsStorage,
  o: SeedOptions,
  progress?: (pageviews: number) => void,
): Promise<SeedResult> {
  const started = Date.now();
  if (o.reset) await reset(db, stats);
  const fresh = (await stats.collections.rollups.estimatedDocumentCount()) === 0;
  const rnd = prng(o.seed);
  const agencies = buildAgencies(o.agencies, o.users, rnd);
  const endAt = o.endAt ?? Date.now() - 10 * 60_000;
  const plan = { pageviewsPerDay: o.pageviewsPerDay, endAt };
  const max = o.maxPageviews ?? Infinity;
  let pvBuf: PageviewDoc[] = [];
  let sessBuf: SessionDoc[] = [];
  let inflight: Promise<unknown> = Promise.resolve();
  const counts = { pageviews: 0, sessions: 0, rollups: 0 };
  let folded: Folded = new Map();
  const touchedMonths = new Map<string, MonthKey>();
  const touchedPathDays = new Map<string, PathDayKey>();
  let newest = 0;
  const flushDocs = async () => {
    const pvs = pvBuf;
    const sess = sessBuf;
    pvBuf = [];
    sessBuf = [];
    await inflight;
    inflight = Promise.all([
      pvs.length ? db.models.pageviews.insertMany(pvs, { ordered: false }) : null,
      sess.length ? db.models.sessions.insertMany(sess, { ordered: false }) : null,
    ]);
    progress?.(counts.pageviews);
  };
  const flushRollups = async (before: number) => {
    const done = [...folded].filter(([, e]) => e.key.bucketStart < before);
    if (done.length === 0) return;
    for (const [id] of done) folded.delete(id);
    counts.rollups += done.length;
    await writeRollups(stats, done, fresh);
    const days = [...foldDays(done.map(([, e]) => e))];
    await writeDays(stats, days, fresh);
    for (const [, d] of days) touchedMonths.set(monthId(monthKeyOf(d.key)), monthKeyOf(d.key));
    for (const [, e] of done) touchedPathDays.set(pathDayId(pathDayKeyOf(e.key)), pathDayKeyOf(e.key));
  };
  for (let k = o.days - 1; k >= 0 && counts.pageviews < max; k--) {
    let front = Infinity;
    for (const agency of agencies) {
      for (const user of agency.users) {
        const day = new TZDate(addDays(startOfDay(new TZDate(endAt, user.tz)), -k).getTime(), user.tz);
        front = Math.min(front, day.getTime());
        const out = userDay(agency, user, day, plan, rnd);
        const pvs = out.pageviews.slice(0, max - counts.pageviews);
        counts.pageviews += pvs.length;
        counts.sessions += out.sessions.length;
        pvBuf.push(...pvs);
        sessBuf.push(...out.sessions);
        for (const pv of pvs) newest = Math.max(newest, pv.updatedAt.getTime());
        foldRollups(
          pvs.map((pv) => ({
            ...pv,
            startedAt: pv.startedAt.getTime(),
            lastSeenAt: pv.lastSeenAt.getTime(),
            updatedAt: pv.updatedAt.getTime(),
          })),
          folded,
        );
        if (pvBuf.length >= BATCH) await flushDocs();
      }
    }
    // Sessions never span two days, so whole UTC days well behind the generation front are
    // complete and can be inserted; added up with $inc, any of them can be written at any time.
    await flushRollups(fresh ? dayOf(front - 2 * 86_400_000) : Infinity);
  }
  await flushDocs();
  await inflight;
  await flushRollups(Infinity);
  folded = new Map();
  // User-months are rebuilt from the user-days just written, like the rollup job does.
  const { rollups, days, months, pathDays } = stats.collections;
  await untilSettled(touchedMonths, (part) => rebuildMonths(days, months, [...part.values()]));
  // Path-days from the rollups, a few hundred days at a time (each read holds its rollups).
  const pathDayEntries = [...touchedPathDays];
  for (let i = 0; i < pathDayEntries.length; i += 200)
    await untilSettled(new Map(pathDayEntries.slice(i, i + 200)), (part) =>
      rebuildPathDays(rollups, pathDays, [...part.values()]),
    );
  if (newest > 0 && (await stats.jobState.watermark('rollups')) === null)
    await stats.jobState.advanceWatermark('rollups', newest);
  return {
    agencies: agencies.length,
    users: agencies.reduce((a, x) => a + x.users.length, 0),
    ...counts,
    ms: Date.now() - started,
  };
}
