import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAY_MS, dayId, foldDays } from '../../../server/src/domain/rollup-days.ts';
import {
  ROLLUP_BUCKET_MS,
  rollupId,
  type RollupKey,
  type RollupValues,
} from '../../../server/src/domain/rollup-keys.ts';
import { foldMonth } from '../../../server/src/domain/rollup-months.ts';
import { foldPathDay } from '../../../server/src/domain/rollup-path-days.ts';
import { mergeDay, mergeMonth, mergePathDay, WHOLE } from '../../../server/src/domain/rollup-refresh.ts';
import { packCells, unpackCells } from '../../../server/src/storage/rollup-path-day-store.ts';

/**
 * The incremental levels, as properties: a stored day, month or path-day with some slots
 * replaced from the level below equals the whole fold of the level below as it is now. Rollups
 * change the way the job sees them change: values are recomputed (last seen and version only
 * grow), new rollups appear, and (for user-days and months) rollups may vanish.
 */
type Entry = { key: RollupKey; values: RollupValues };
const MONTH = Date.UTC(2026, 4, 1);
const SLOTS = 4 * 24;

const rollupArb = fc.record({
  user: fc.constantFrom('u1', 'u2', 'u3'),
  path: fc.constantFrom('/a', '/b', '/c', '/d'),
  day: fc.integer({ min: 0, max: 3 }),
  slot: fc.constantFrom(0, 1, 2, 40, 41, 95),
  p: fc.integer({ min: 1, max: 9 }),
  m: fc.integer({ min: 0, max: 900_000 }),
  l: fc.integer({ min: 0, max: 1_000_000 }),
});
type Gen = typeof rollupArb extends fc.Arbitrary<infer T> ? T : never;

/** Rollups with distinct keys; `seq` makes every last-seen instant distinct (names follow the latest). */
function entries(gens: Gen[], offset: number, user?: string): Entry[] {
  const byId = new Map<string, Entry>();
  gens.forEach((g, i) => {
    const key = {
      agencyId: 'acme',
      userId: user ?? g.user,
      locationId: 'loc',
      path: g.path,
      bucketStart: MONTH + g.day * DAY_MS + g.slot * ROLLUP_BUCKET_MS,
    };
    const l = offset + g.l * 100 + i;
    byId.set(rollupId(key), {
      key,
      values: { pageviews: g.p, engagedMs: g.m, lastSeenAt: l, userName: `n${l}`, version: l },
    });
  });
  return [...byId.values()];
}

/** The rollups after a run's changes: in `touched` slots, recomputed (keys kept or, if allowed, dropped) and new ones. */
function changed(old: Entry[], added: Entry[], touched: Set<number>, drop: boolean, keep: (e: Entry) => boolean) {
  const slotOf = (e: Entry) => e.key.bucketStart;
  const out = new Map<string, Entry>();
  for (const e of old) if (!touched.has(slotOf(e)) || !drop || keep(e)) out.set(rollupId(e.key), e);
  for (const e of added) {
    if (!touched.has(slotOf(e))) continue;
    const before = out.get(rollupId(e.key));
    // A recomputed rollup is seen later than before: last seen and version only grow.
    const v = before ? { ...e.values, lastSeenAt: before.values.lastSeenAt + e.values.lastSeenAt } : e.values;
    out.set(rollupId(e.key), { key: e.key, values: { ...v, version: v.lastSeenAt, userName: `n${v.lastSeenAt}` } });
  }
  return [...out.values()];
}

const vanished = (before: Entry[], now: Entry[]) => {
  const ids = new Set(now.map((e) => rollupId(e.key)));
  return before.some((e) => !ids.has(rollupId(e.key)));
};

/** Equal but for a version at least as new, or (only when a rollup vanished) asked to be rebuilt whole. */
function same<V extends { version: number }>(a: V | null | typeof WHOLE, b: V | null | undefined, vanished: boolean) {
  if (a === WHOLE) return expect(vanished).toBe(true);
  expect(a === null).toBe(b == null);
  if (!a || !b) return;
  const { version: va, ...ra } = a;
  const { version: vb, ...rb } = b;
  expect(ra).toEqual(rb);
  expect(va).toBeGreaterThanOrEqual(vb);
}

const world = fc.record({
  old: fc.array(rollupArb, { maxLength: 40 }),
  added: fc.array(rollupArb, { maxLength: 20 }),
  touchedSlots: fc.subarray([0, 1, 2, 40, 41, 95], { minLength: 1 }),
  touchedDays: fc.subarray([0, 1, 2, 3], { minLength: 1 }),
  drop: fc.boolean(),
});
const bucketsOf = (days: number[], slots: number[]) =>
  new Set(days.flatMap((d) => slots.map((s) => MONTH + d * DAY_MS + s * ROLLUP_BUCKET_MS)));

describe('incremental rollup levels', () => {
  it('a user-day with its touched slots replaced equals the fold of the rollups as they are now', () => {
    fc.assert(
      fc.property(world, ({ old, added, touchedSlots, drop }) => {
        const touched = bucketsOf([0], touchedSlots);
        const before = entries(old, 0, 'u1').filter((e) => e.key.bucketStart < MONTH + DAY_MS);
        const now = changed(before, entries(added, 2_000_000_000, 'u1'), touched, drop, (e) => e.values.pageviews > 4);
        const id = dayId({ agencyId: 'acme', userId: 'u1', locationId: 'loc', day: MONTH });
        const parent = foldDays(before).get(id)?.values ?? null;
        const fresh = foldDays(now.filter((e) => touched.has(e.key.bucketStart))).get(id)?.values;
        same(mergeDay(parent, fresh, touchedSlots.map(String)), foldDays(now).get(id)?.values, vanished(before, now));
      }),
    );
  });

  it('a user-month with its touched days replaced equals the fold of its days as they are now', () => {
    fc.assert(
      fc.property(world, ({ old, added, touchedSlots, touchedDays, drop }) => {
        const touched = bucketsOf(touchedDays, touchedSlots);
        const before = entries(old, 0, 'u1');
        const now = changed(before, entries(added, 2_000_000_000, 'u1'), touched, drop, (e) => e.values.pageviews > 4);
        const daysOf = (es: Entry[]) => [...foldDays(es).values()].map((d) => ({ day: d.key.day, values: d.values }));
        const nowDays = new Map(daysOf(now).map((d) => [d.day, d.values]));
        const merged = mergeMonth(
          foldMonth(daysOf(before)),
          MONTH,
          touchedDays.map((d) => ({ day: MONTH + d * DAY_MS, values: nowDays.get(MONTH + d * DAY_MS) ?? null })),
        );
        same(merged, foldMonth(daysOf(now)), vanished(before, now));
      }),
    );
  });

  it('a path-day with its touched slots replaced equals the fold of the rollups as they are now', () => {
    fc.assert(
      fc.property(world, ({ old, added, touchedSlots }) => {
        const touched = bucketsOf([0], touchedSlots);
        const before = entries(old, 0).filter((e) => e.key.bucketStart < MONTH + DAY_MS);
        // Rollups of a location-day only vanish by erasure, which rebuilds path-days whole.
        const now = changed(before, entries(added, 2_000_000_000), touched, false, () => true);
        const merged = mergePathDay(
          foldPathDay(before),
          now.filter((e) => touched.has(e.key.bucketStart)),
          new Set(touchedSlots),
        );
        const want = foldPathDay(now);
        expect(merged && { ...merged, version: 0 }).toEqual(want && { ...want, version: 0 });
        if (merged && want) expect(merged.version).toBeGreaterThanOrEqual(want.version);
      }),
    );
  });

  it('cells survive packing (engaged time beyond 32 bits too)', () => {
    const cells = [
      { path: 0, slot: 0, p: 1, m: 0 },
      { path: 70_000, slot: SLOTS - 1, p: 4_000_000_000, m: 9_000_000_000 },
    ];
    expect(unpackCells(packCells(cells))).toEqual(cells);
  });
});
