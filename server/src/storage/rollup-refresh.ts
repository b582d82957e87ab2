import type { Collection, Document } from 'mongodb';
import { dayId, dayKeyOf, foldDays, type DayKey } from '../domain/rollup-days.ts';
import { ROLLUP_BUCKET_MS, type RollupKey, type RollupValues } from '../domain/rollup-keys.ts';
import { monthId, monthKeyOf, type MonthKey } from '../domain/rollup-months.ts';
import { pathDayId, pathDayKeyOf, type PathDayKey } from '../domain/rollup-path-days.ts';
import { mergeDay, mergeMonth, mergePathDay, WHOLE } from '../domain/rollup-refresh.ts';
import { READ_BATCH } from './bulk-chunks.ts';
import { appendTo } from './group.ts';
import { compareAndSet, readByIds, rebuildUntilWritten, revOf, type Rewrite } from './rollup-cas.ts';
import { DAY_READ, dayFields, dayValuesOf, rebuildDays, ROLLUP_READ, rollupEntry } from './rollup-day-store.ts';
import { monthFields, monthValuesOf, rebuildMonths } from './rollup-month-store.ts';
import type { RollupDoc, StatsCollections } from './rollup-models.ts';
import { pathDayFields, pathDayStateOf, rebuildPathDays } from './rollup-path-day-store.ts';

/** `$or` branches per query, as for the page view reads. */
const MAX_CLAUSES = 200;

/**
 * After a run rewrote some rollups: refreshes the user-days, user-months and location path-days
 * holding them, each by replacing just the recomputed slots (domain/rollup-refresh.ts), so a
 * run reads what changed, not whole days and months. Each level reads its stored documents
 * first, then the level below, then writes with compare-and-set; whatever lost is rebuilt
 * whole (rollup-day-store.ts and its neighbours), with compare-and-set too, until it is written.
 */
export async function refreshLevels(c: Omit<StatsCollections, 'meta'>, keys: RollupKey[]): Promise<void> {
  const days = await refreshDays(c, keys);
  await refreshMonths(c, days);
  await refreshPathDays(c, keys);
}

/** Slot index of a bucket within its UTC day. */
const slotOf = (bucketStart: number, day: number) => (bucketStart - day) / ROLLUP_BUCKET_MS;

/** The rollups of the given buckets, one query per agency and 200 branches: `branch` narrows each to a user or location. */
async function readRollups(
  rollups: Collection<RollupDoc>,
  groups: Map<string, Map<string, { branch: Document; buckets: Set<number> }>>,
  projection: Document,
): Promise<{ key: RollupKey; values: RollupValues }[]> {
  const out: { key: RollupKey; values: RollupValues }[] = [];
  for (const [agencyId, byBranch] of groups) {
    const list = [...byBranch.values()].map((g) => ({
      ...g.branch,
      bucketStart: { $in: [...g.buckets].map((b) => new Date(b)) },
    }));
    for (let i = 0; i < list.length; i += MAX_CLAUSES) {
      const q = { agencyId, $or: list.slice(i, i + MAX_CLAUSES) };
      const docs = await rollups.find<RollupDoc>(q, { projection, batchSize: READ_BATCH }).toArray();
      for (const d of docs) out.push(rollupEntry(d));
    }
  }
  return out;
}

function addBucket(
  groups: Map<string, Map<string, { branch: Document; buckets: Set<number> }>>,
  agencyId: string,
  branch: Document,
  bucket: number,
) {
  let byBranch = groups.get(agencyId);
  if (!byBranch) groups.set(agencyId, (byBranch = new Map()));
  const id = JSON.stringify(branch);
  let g = byBranch.get(id);
  if (!g) byBranch.set(id, (g = { branch, buckets: new Set() }));
  g.buckets.add(bucket);
}

async function refreshDays(c: Omit<StatsCollections, 'meta'>, keys: RollupKey[]): Promise<DayKey[]> {
  const touched = new Map<string, { key: DayKey; slots: Set<string> }>();
  const groups = new Map<string, Map<string, { branch: Document; buckets: Set<number> }>>();
  for (const k of keys) {
    const key = dayKeyOf(k);
    const id = dayId(key);
    let t = touched.get(id);
    if (!t) touched.set(id, (t = { key, slots: new Set() }));
    t.slots.add(String(slotOf(k.bucketStart, key.day)));
    addBucket(groups, k.agencyId, { userId: k.userId }, k.bucketStart);
  }
  const stored = await readByIds(c.days, [...touched.keys()]);
  const fresh = foldDays(await readRollups(c.rollups, groups, DAY_READ));
  const rewrites: Rewrite[] = [];
  const whole: string[] = [];
  for (const [id, t] of touched) {
    const doc = stored.get(id);
    const next = mergeDay(doc ? dayValuesOf(doc).values : null, fresh.get(id)?.values, t.slots);
    if (next === WHOLE) {
      whole.push(id);
      continue;
    }
    rewrites.push({
      id,
      rev: revOf(doc),
      next: next && { ...dayFields(t.key, next), version: new Date(next.version) },
    });
  }
  const lost = [...whole, ...(await compareAndSet(c.days, rewrites))];
  await rebuildUntilWritten(
    lost,
    (id) => (touched.get(id) as { key: DayKey }).key,
    (keys) => rebuildDays(c.rollups, c.days, keys),
  );
  return [...touched.values()].map((t) => t.key);
}

async function refreshMonths(c: Omit<StatsCollections, 'meta'>, days: DayKey[]): Promise<void> {
  const touched = new Map<string, { key: MonthKey; days: DayKey[] }>();
  for (const d of days) {
    const key = monthKeyOf(d);
    const id = monthId(key);
    const t = touched.get(id);
    if (t) t.days.push(d);
    else touched.set(id, { key, days: [d] });
  }
  const stored = await readByIds(c.months, [...touched.keys()]);
  const below = await readByIds(c.days, days.map(dayId));
  const rewrites: Rewrite[] = [];
  const whole: string[] = [];
  for (const [id, t] of touched) {
    const doc = stored.get(id);
    const now = t.days.map((d) => {
      const found = below.get(dayId(d));
      return { day: d.day, values: found ? dayValuesOf(found).values : null };
    });
    const next = mergeMonth(doc ? monthValuesOf(doc) : null, t.key.month, now);
    if (next === WHOLE) {
      whole.push(id);
      continue;
    }
    rewrites.push({
      id,
      rev: revOf(doc),
      next: next && { ...monthFields(t.key, next), version: new Date(next.version) },
    });
  }
  const lost = [...whole, ...(await compareAndSet(c.months, rewrites))];
  const keyOf = (id: string) => (touched.get(id) as { key: MonthKey }).key;
  await rebuildUntilWritten(lost, keyOf, (keys) => rebuildMonths(c.days, c.months, keys));
}

async function refreshPathDays(c: Omit<StatsCollections, 'meta'>, keys: RollupKey[]): Promise<void> {
  const touched = new Map<string, { key: PathDayKey; slots: Set<number> }>();
  const groups = new Map<string, Map<string, { branch: Document; buckets: Set<number> }>>();
  for (const k of keys) {
    const key = pathDayKeyOf(k);
    const id = pathDayId(key);
    let t = touched.get(id);
    if (!t) touched.set(id, (t = { key, slots: new Set() }));
    t.slots.add(slotOf(k.bucketStart, key.day));
    addBucket(groups, k.agencyId, { locationId: k.locationId }, k.bucketStart);
  }
  const stored = await readByIds(c.pathDays, [...touched.keys()]);
  const fresh = new Map<string, { key: RollupKey; values: RollupValues }[]>();
  for (const r of await readRollups(c.rollups, groups, ROLLUP_READ)) appendTo(fresh, pathDayId(pathDayKeyOf(r.key)), r);
  const rewrites: Rewrite[] = [];
  const whole: string[] = [];
  for (const [id, t] of touched) {
    const doc = stored.get(id);
    // Too large to keep: nothing to refresh (it only grows), readers use the rollups.
    if (doc?.overflow) continue;
    const state = doc ? pathDayStateOf(doc) : null;
    // Nothing to merge into (see pathDayStateOf): rebuilt whole.
    if (doc && !state) {
      whole.push(id);
      continue;
    }
    const next = mergePathDay(state, fresh.get(id) ?? [], t.slots);
    rewrites.push({
      id,
      rev: revOf(doc),
      next: next && { ...pathDayFields(t.key, next), version: new Date(next.version) },
    });
  }
  const lost = [...whole, ...(await compareAndSet(c.pathDays, rewrites))];
  const keyOf = (id: string) => (touched.get(id) as { key: PathDayKey }).key;
  await rebuildUntilWritten(lost, keyOf, (keys) => rebuildPathDays(c.rollups, c.pathDays, keys));
}
