import type { Collection, Document } from 'mongodb';
import { dayId, dayKeyOf, foldDays, slotOfDay, type DayKey } from '../domain/rollup-days.ts';
import { ROLLUP_BUCKET_MS, type RollupKey, type RollupValues } from '../domain/rollup-keys.ts';
import { monthId, monthKeyOf, type MonthKey } from '../domain/rollup-months.ts';
import { pathDayId, pathDayKeyOf, type PathDayKey } from '../domain/rollup-path-days.ts';
import { mergeDay, mergeMonth, mergePathDay, WHOLE } from '../domain/rollup-refresh.ts';
import { MAX_OR_CLAUSES, READ_BATCH } from './bulk-chunks.ts';
import { appendTo } from './group.ts';
import { compareAndSet, readByIds, revOf, untilSettled, type Rewrite } from './rollup-cas.ts';
import { DAY_READ, dayFields, dayValuesOf, rebuildDays, ROLLUP_READ, rollupEntry } from './rollup-day-store.ts';
import { monthFields, monthValuesOf, rebuildMonths } from './rollup-month-store.ts';
import type { RollupDayDoc, RollupDoc, RollupPathDayDoc, StatsCollections } from './rollup-models.ts';
import { overflowFields, pathDayFields, pathDayStateOf, rebuildPathDays } from './rollup-path-day-store.ts';

/**
 * After a run rewrote some rollups: refreshes the user-days, user-months and location path-days
 * holding them, each by replacing just the recomputed slots (domain/rollup-refresh.ts), so a
 * run reads what changed, not whole days and months. Each level reads its stored documents
 * first, then the level below, then writes with compare-and-set; what lost (another run wrote
 * in between) is merged again from a fresh read. A merge that cannot be exact, or a document
 * it cannot merge into, is rebuilt whole (rollup-day-store.ts and its neighbours), with
 * compare-and-set too.
 *
 * User-days and path-days sit on the same rollups: a user-day's touched slots are among its
 * location-day's. So their first round reads both levels' stored documents, then the rollups
 * of the touched location-days once, for both (a run at 15,000 open tabs read the same rollups
 * twice, one read by user and one by location). Rounds after the first read for themselves, and
 * so do the user-days of an overflowed path-day (its location's rollups are not needed).
 */
export async function refreshLevels(c: Omit<StatsCollections, 'meta'>, keys: RollupKey[]): Promise<void> {
  const days = new Map<string, Touched<DayKey>>();
  const pathDays = new Map<string, Touched<PathDayKey>>();
  for (const k of keys) {
    touch(days, dayId, dayKeyOf(k), k.bucketStart);
    touch(pathDays, pathDayId, pathDayKeyOf(k), k.bucketStart);
  }
  const [storedDays, storedPathDays] = await Promise.all([
    readByIds(c.days, [...days.keys()]),
    readByIds(c.pathDays, [...pathDays.keys()]),
  ]);
  // An overflowed path-day holds no paths: the user-days of its location read for themselves.
  const shared = [...pathDays].filter(([id]) => !storedPathDays.get(id)?.overflow);
  const sharedIds = new Set(shared.map(([id]) => id));
  const alone = [...days.values()].filter((t) => !sharedIds.has(pathDayId(t.key)));
  const [below, belowAlone] = await Promise.all([
    readRollups(
      c.rollups,
      shared.map(([, t]) => t),
      (k) => ({ locationId: k.locationId }),
      ROLLUP_READ,
    ),
    readRollups(c.rollups, alone, (k) => ({ userId: k.userId }), DAY_READ),
  ]);
  const lostDays = await writeDays(c, days, storedDays, [...below, ...belowAlone]);
  const lostPathDays = await writePathDays(c, pathDays, storedPathDays, below);
  await untilSettled(days, (t) => refreshDays(c, t), lostDays);
  const months = new Map<string, { key: MonthKey; days: DayKey[] }>();
  for (const { key } of days.values()) {
    const m = monthKeyOf(key);
    const cur = months.get(monthId(m));
    if (cur) cur.days.push(key);
    else months.set(monthId(m), { key: m, days: [key] });
  }
  await untilSettled(months, (t) => refreshMonths(c, t));
  await untilSettled(pathDays, (t) => refreshPathDays(c, t), lostPathDays);
}

/** A document of a level with the slots (indexes in its UTC day) a run recomputed. */
interface Touched<K> {
  key: K;
  slots: Set<number>;
}

function touch<K extends { day: number }>(
  into: Map<string, Touched<K>>,
  idOf: (k: K) => string,
  key: K,
  bucket: number,
) {
  const id = idOf(key);
  let t = into.get(id);
  if (!t) into.set(id, (t = { key, slots: new Set() }));
  t.slots.add(slotOfDay(bucket));
}

/** The rollups of the touched slots, one query per agency and 200 branches; `branch` narrows a document's read to a user or a location. */
async function readRollups<K extends { agencyId: string; day: number }>(
  rollups: Collection<RollupDoc>,
  touched: Iterable<Touched<K>>,
  branch: (k: K) => Document,
  projection: Document,
): Promise<{ key: RollupKey; values: RollupValues }[]> {
  const byAgency = new Map<string, Map<string, { branch: Document; buckets: Set<number> }>>();
  for (const { key, slots } of touched) {
    let groups = byAgency.get(key.agencyId);
    if (!groups) byAgency.set(key.agencyId, (groups = new Map()));
    const b = branch(key);
    const id = JSON.stringify(b);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { branch: b, buckets: new Set() }));
    for (const s of slots) g.buckets.add(key.day + s * ROLLUP_BUCKET_MS);
  }
  const out: { key: RollupKey; values: RollupValues }[] = [];
  for (const [agencyId, groups] of byAgency) {
    const list = [...groups.values()].map((g) => ({
      ...g.branch,
      bucketStart: { $in: [...g.buckets].map((b) => new Date(b)) },
    }));
    for (let i = 0; i < list.length; i += MAX_OR_CLAUSES) {
      const q = { agencyId, $or: list.slice(i, i + MAX_OR_CLAUSES) };
      const docs = await rollups.find<RollupDoc>(q, { projection, batchSize: READ_BATCH }).toArray();
      for (const d of docs) out.push(rollupEntry(d));
    }
  }
  return out;
}

/** A document as read, rewritten to `fields` (null: deleted); skipped if that changes nothing. */
const rewrite = (id: string, doc: (Document & { rev?: string }) | undefined, fields: Document | null, version = 0) => ({
  id,
  rev: revOf(doc),
  stored: doc,
  next: fields && { ...fields, version: new Date(version) },
});

/** Writes a round's merges, then rebuilds whole what could not be merged; returns the ids that lost. */
async function settle<T extends { _id: string }, K>(
  coll: Collection<T>,
  rewrites: Rewrite[],
  whole: K[],
  rebuild: (keys: K[]) => Promise<string[]>,
): Promise<string[]> {
  const lost = await compareAndSet(coll, rewrites);
  return whole.length > 0 ? [...lost, ...(await rebuild(whole))] : lost;
}

/** One round for user-days; returns the ids that lost. */
async function refreshDays(c: Omit<StatsCollections, 'meta'>, touched: Map<string, Touched<DayKey>>) {
  const stored = await readByIds(c.days, [...touched.keys()]);
  const below = await readRollups(c.rollups, touched.values(), (k) => ({ userId: k.userId }), DAY_READ);
  return writeDays(c, touched, stored, below);
}

/** Merges the touched user-days as stored with the rollups read after them, and writes them; returns the ids that lost. */
async function writeDays(
  c: Omit<StatsCollections, 'meta'>,
  touched: Map<string, Touched<DayKey>>,
  stored: Map<string, RollupDayDoc>,
  below: { key: RollupKey; values: RollupValues }[],
) {
  const fresh = foldDays(below);
  const rewrites: Rewrite[] = [];
  const whole: DayKey[] = [];
  for (const [id, t] of touched) {
    const doc = stored.get(id);
    const next = mergeDay(doc ? dayValuesOf(doc).values : null, fresh.get(id)?.values, [...t.slots].map(String));
    if (next === WHOLE) whole.push(t.key);
    else rewrites.push(rewrite(id, doc, next && dayFields(t.key, next), next?.version));
  }
  return settle(c.days, rewrites, whole, (keys) => rebuildDays(c.rollups, c.days, keys));
}

/** One round for user-months: each month's touched days as they are stored now; returns the ids that lost. */
async function refreshMonths(
  c: Omit<StatsCollections, 'meta'>,
  touched: Map<string, { key: MonthKey; days: DayKey[] }>,
) {
  const stored = await readByIds(c.months, [...touched.keys()]);
  const below = await readByIds(
    c.days,
    [...touched.values()].flatMap((t) => t.days.map(dayId)),
  );
  const rewrites: Rewrite[] = [];
  const whole: MonthKey[] = [];
  for (const [id, t] of touched) {
    const doc = stored.get(id);
    const now = t.days.map((d) => {
      const found = below.get(dayId(d));
      return { day: d.day, values: found ? dayValuesOf(found).values : null };
    });
    const next = mergeMonth(doc ? monthValuesOf(doc) : null, t.key.month, now);
    if (next === WHOLE) whole.push(t.key);
    else rewrites.push(rewrite(id, doc, next && monthFields(t.key, next), next?.version));
  }
  return settle(c.months, rewrites, whole, (keys) => rebuildMonths(c.days, c.months, keys));
}

/** One round for location path-days; returns the ids that lost. */
async function refreshPathDays(c: Omit<StatsCollections, 'meta'>, touched: Map<string, Touched<PathDayKey>>) {
  const stored = await readByIds(c.pathDays, [...touched.keys()]);
  // Overflowed path-days hold no paths: their rollups are not needed.
  const open = [...touched].filter(([id]) => !stored.get(id)?.overflow).map(([, t]) => t);
  const below = await readRollups(c.rollups, open, (k) => ({ locationId: k.locationId }), ROLLUP_READ);
  return writePathDays(c, touched, stored, below);
}

/** Merges the touched path-days as stored with the rollups read after them, and writes them; returns the ids that lost. */
async function writePathDays(
  c: Omit<StatsCollections, 'meta'>,
  touched: Map<string, Touched<PathDayKey>>,
  stored: Map<string, RollupPathDayDoc>,
  below: { key: RollupKey; values: RollupValues }[],
) {
  const fresh = new Map<string, { key: RollupKey; values: RollupValues }[]>();
  for (const r of below) appendTo(fresh, pathDayId(pathDayKeyOf(r.key)), r);
  const rewrites: Rewrite[] = [];
  const whole: PathDayKey[] = [];
  for (const [id, t] of touched) {
    const doc = stored.get(id);
    if (doc?.overflow) {
      // Written again as it is (a new revision), so a rebuild that read it before loses.
      rewrites.push({ id, rev: revOf(doc), next: { ...overflowFields(t.key), version: doc.version } });
      continue;
    }
    const state = doc ? pathDayStateOf(doc) : null;
    // Nothing to merge into (see pathDayStateOf): rebuilt whole.
    if (doc && !state) {
      whole.push(t.key);
      continue;
    }
    const next = mergePathDay(state, fresh.get(id) ?? [], t.slots);
    rewrites.push(rewrite(id, doc, next && pathDayFields(t.key, next), next?.version));
  }
  return settle(c.pathDays, rewrites, whole, (keys) => rebuildPathDays(c.rollups, c.pathDays, keys));
}
