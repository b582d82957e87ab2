import { slotOfDay, SLOTS_PER_DAY, type DayValues } from './rollup-days.ts';
import { ROLLUP_BUCKET_MS, type RollupKey, type RollupValues } from './rollup-keys.ts';
import { monthOf, type MonthSlot, type MonthValues } from './rollup-months.ts';
import { PathDayFold, type PathDayState } from './rollup-path-days.ts';

/**
 * The levels above the rollups (user-days, user-months, location path-days) each hold a whole
 * day or month. A run recomputes only some 15-minute buckets, so rebuilding those levels from
 * everything below them made every run read all of today's rollups and all of this month's
 * user-days: a cost that grew through the day and the month, whatever changed.
 *
 * Instead a run refreshes just the slots it recomputed: the stored document with those slots
 * taken out and put back from the level below as it is now. These are the pure merges. The
 * store reads the stored document before the level below and writes with compare-and-set on
 * the document's revision (storage/rollup-cas.ts), so a result built on anything stale loses
 * and is merged again on what the other write left. Each slot is still recomputed from its
 * whole source, never added to.
 *
 * A merge answers `WHOLE` when it cannot be exact: the latest sign of life (and the name that
 * goes with it) was in a slot that is now gone. Slots only go when page views are deleted,
 * which is rare; the store then rebuilds the document whole.
 */
export const WHOLE = 'whole';

const maxL = (slots: Iterable<{ l?: number }>, fallback: number): number => {
  let at = -Infinity;
  for (const s of slots) if (s.l !== undefined && s.l > at) at = s.l;
  return at === -Infinity ? fallback : at;
};

/** A user-day with the `touched` slots replaced by `fresh`'s (absent there: emptied); null when none is left. */
export function mergeDay(
  parent: DayValues | null,
  fresh: DayValues | undefined,
  touched: Iterable<string>,
): DayValues | null | typeof WHOLE {
  const slots = { ...parent?.slots };
  for (const s of touched) {
    const f = fresh?.slots[s];
    if (f) slots[s] = f;
    else delete slots[s];
  }
  const list = Object.values(slots);
  if (list.length === 0) return null;
  let pageviews = 0;
  let engagedMs = 0;
  for (const s of list) {
    pageviews += s.p;
    engagedMs += s.m;
  }
  const lastSeenAt = maxL(list, parent?.lastSeenAt ?? fresh?.lastSeenAt ?? 0);
  if (parent && lastSeenAt < parent.lastSeenAt) return WHOLE;
  const takeFresh = !!fresh && (!parent || fresh.lastSeenAt >= parent.lastSeenAt);
  return {
    slots,
    pageviews,
    engagedMs,
    lastSeenAt,
    userName: takeFresh ? fresh.userName : (parent?.userName ?? ''),
    version: Math.max(parent?.version ?? 0, fresh?.version ?? 0),
  };
}

/** A user-month with the slots of the `days` replaced by those days as stored now (null: gone). */
export function mergeMonth(
  parent: MonthValues | null,
  month: number,
  days: { day: number; values: DayValues | null }[],
): MonthValues | null | typeof WHOLE {
  const replaced = new Set(days.map((d) => (d.day - month) / ROLLUP_BUCKET_MS));
  const slots: MonthSlot[] = (parent?.slots ?? []).filter((s) => !replaced.has(s.slot - (s.slot % SLOTS_PER_DAY)));
  let named = parent ? { at: parent.lastSeenAt, name: parent.userName } : null;
  let version = parent?.version ?? 0;
  for (const { day, values: d } of days) {
    if (!d) continue;
    const base = (day - monthOf(day)) / ROLLUP_BUCKET_MS;
    for (const [slot, s] of Object.entries(d.slots))
      slots.push({ slot: base + Number(slot), p: s.p, m: s.m, l: s.l ?? d.lastSeenAt });
    if (!named || d.lastSeenAt >= named.at) named = { at: d.lastSeenAt, name: d.userName };
    version = Math.max(version, d.version);
  }
  if (slots.length === 0) return null;
  slots.sort((a, b) => a.slot - b.slot);
  let pageviews = 0;
  let engagedMs = 0;
  for (const s of slots) {
    pageviews += s.p;
    engagedMs += s.m;
  }
  const lastSeenAt = maxL(slots, named?.at ?? 0);
  if (parent && lastSeenAt < parent.lastSeenAt) return WHOLE;
  return { slots, pageviews, engagedMs, lastSeenAt, userName: named?.name ?? '', version };
}

/**
 * A location path-day with the `touched` slots replaced by the rollups of those slots as
 * stored now. Users of a path are only ever added: a user leaves a path-day only by erasure,
 * which rebuilds path-days whole.
 */
export function mergePathDay(
  parent: PathDayState | null,
  fresh: Iterable<{ key: RollupKey; values: RollupValues }>,
  touched: ReadonlySet<number>,
): PathDayState | null {
  const fold = new PathDayFold();
  if (parent) {
    for (const c of parent.cells) {
      if (touched.has(c.slot)) continue;
      fold.addCell((parent.paths[c.path] as { path: string }).path, c.slot, c.p, c.m, parent.version);
    }
    for (const p of parent.paths) fold.addUsers(p.path, p.u);
  }
  for (const r of fresh) {
    if (touched.has(slotOfDay(r.key.bucketStart))) fold.addRollup(r);
  }
  return fold.result(parent?.version);
}
