import { Binary, type Collection, type Document } from 'mongodb';
import {
  foldMonth,
  monthId,
  monthOf,
  nextMonth,
  type MonthKey,
  type MonthRow,
  type MonthSlot,
  type MonthValues,
} from '../domain/rollup-months.ts';
import type { StatsScope } from '../domain/stats-ports.ts';
import { MAX_OR_CLAUSES, READ_BATCH } from './bulk-chunks.ts';
import { compareAndSet, readRevs } from './rollup-cas.ts';
import { appendTo } from './group.ts';
import { dayValuesOf } from './rollup-day-store.ts';
import type { RollupDayDoc, RollupMonthDoc } from './rollup-models.ts';

const SLOT_BYTES = 18;

/** Packs slots as RollupMonthDoc documents them. */
export function packSlots(slots: MonthSlot[]): Binary {
  const buf = Buffer.alloc(slots.length * SLOT_BYTES);
  slots.forEach((s, i) => {
    const o = i * SLOT_BYTES;
    buf.writeUInt16LE(s.slot, o);
    buf.writeUInt32LE(s.p, o + 2);
    buf.writeUInt32LE(Math.min(s.m, 0xffff_ffff), o + 6);
    buf.writeDoubleLE(s.l, o + 10);
  });
  return new Binary(buf);
}

export function unpackSlots(bin: Binary): MonthSlot[] {
  const buf = Buffer.from(bin.buffer.buffer, bin.buffer.byteOffset, bin.position);
  const out: MonthSlot[] = [];
  for (let o = 0; o + SLOT_BYTES <= buf.length; o += SLOT_BYTES) {
    out.push({
      slot: buf.readUInt16LE(o),
      p: buf.readUInt32LE(o + 2),
      m: buf.readUInt32LE(o + 6),
      l: buf.readDoubleLE(o + 10),
    });
  }
  return out;
}

/** The filter for user-months overlapping [from, to) in scope (no path: months have none). */
export function monthQuery(scope: StatsScope, from: number | undefined, to: number | undefined): Document {
  const filter: Document = { agencyId: scope.agencyId };
  if (scope.userId) filter.userId = scope.userId;
  if (scope.locationId) filter.locationId = scope.locationId;
  const range: Document = {};
  // A month starting before `from` may still hold slots after it.
  if (from !== undefined && from > -Infinity) range.$gte = new Date(monthOf(from));
  if (to !== undefined && to < Infinity) range.$lt = new Date(to);
  if (Object.keys(range).length > 0) filter.month = range;
  return filter;
}

/** The user-months overlapping [from, to) in scope. */
export async function readMonths(
  months: Collection<RollupMonthDoc>,
  scope: StatsScope,
  from: number | undefined,
  to: number | undefined,
): Promise<MonthRow[]> {
  const docs = await months.find(monthQuery(scope, from, to), { batchSize: READ_BATCH }).toArray();
  return docs.map((d) => ({
    userId: d.userId,
    locationId: d.locationId ?? null,
    month: d.month.getTime(),
    userName: d.userName,
    slots: unpackSlots(d.slots),
  }));
}

/** A user-month's stored fields (all but `_id`, `version`, `rev`). */
export const monthFields = (k: MonthKey, v: MonthValues): Document => ({
  agencyId: k.agencyId,
  userId: k.userId,
  locationId: k.locationId,
  month: new Date(k.month),
  slots: packSlots(v.slots),
  pageviews: v.pageviews,
  engagedMs: v.engagedMs,
  lastSeenAt: new Date(v.lastSeenAt),
  userName: v.userName,
});

/** A stored user-month as the domain's values. */
export const monthValuesOf = (d: RollupMonthDoc): MonthValues => ({
  slots: unpackSlots(d.slots),
  pageviews: d.pageviews,
  engagedMs: d.engagedMs,
  lastSeenAt: d.lastSeenAt.getTime(),
  userName: d.userName,
  version: d.version.getTime(),
});

/**
 * Rebuilds user-months whole from their user-days: revisions read first, then the days, then
 * compare-and-set (rollup-cas.ts). A month left with no day is deleted. Reads are batched per
 * agency like the user-days'. Returns the ids whose write lost to another.
 */
export async function rebuildMonths(
  days: Collection<RollupDayDoc>,
  months: Collection<RollupMonthDoc>,
  keys: MonthKey[],
): Promise<string[]> {
  const wanted = new Map(keys.map((k) => [monthId(k), k]));
  const revs = await readRevs(months, [...wanted.keys()]);
  const byAgency = new Map<string, MonthKey[]>();
  for (const k of wanted.values()) appendTo(byAgency, k.agencyId, k);
  const found = new Map<string, RollupDayDoc[]>();
  for (const [agencyId, list] of byAgency) {
    for (let i = 0; i < list.length; i += MAX_OR_CLAUSES) {
      const $or = list.slice(i, i + MAX_OR_CLAUSES).map((k) => ({
        userId: k.userId,
        locationId: k.locationId,
        day: { $gte: new Date(k.month), $lt: new Date(nextMonth(k.month)) },
      }));
      for (const d of await days.find({ agencyId, $or }, { batchSize: READ_BATCH }).toArray()) {
        const id = monthId({
          agencyId,
          userId: d.userId,
          locationId: d.locationId ?? null,
          month: monthOf(d.day.getTime()),
        });
        appendTo(found, id, d);
      }
    }
  }
  const rewrites = [...wanted].map(([id, k]) => {
    const v = foldMonth((found.get(id) ?? []).map(dayValuesOf));
    return { id, rev: revs.get(id), next: v ? { ...monthFields(k, v), version: new Date(v.version) } : null };
  });
  return compareAndSet(months, rewrites);
}
