/**
 * Ordered view of one index for range predicates (`{tenant: x, ts: {$gte,
 * $lt}}`), kept cheap for writers:
 *  - it is built only when the first range query needs it;
 *  - afterwards a write costs O(1): additions go to a pending map, removals
 *    to a tombstone set;
 *  - a range query binary-searches the sorted base, scans the pending
 *    entries, and folds them into the base (merge, not re-sort) once there
 *    are more than ~√n of them, or once queries have scanned as many pending
 *    entries as the base holds (a burst of queries after a burst of writes).
 * Keys are ordered like MongoDB compares values across BSON types.
 */
import { bsonTypeName, valueKey } from './bson-values.ts';

/** One index key of one document. */
export interface SortedEntry {
  /** Canonical key string (see CollectionIndex.entriesFor). */
  full: string;
  values: unknown[];
  id: string;
}

const TYPE_RANK: Record<string, number> = {
  minKey: 0,
  missing: 1,
  undefined: 1,
  null: 1,
  int: 2,
  long: 2,
  double: 2,
  decimal: 2,
  string: 3,
  symbol: 3,
  object: 4,
  array: 5,
  binData: 6,
  objectId: 7,
  bool: 8,
  date: 9,
  timestamp: 10,
  regex: 11,
  maxKey: 12,
};

const asNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));

/** MongoDB's cross-type comparison (numbers by value, then strings, objects, …). */
export function compareValues(a: unknown, b: unknown): number {
  // The common cases first, without naming types.
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  const ta = bsonTypeName(a);
  const tb = bsonTypeName(b);
  const ra = TYPE_RANK[ta] ?? 13;
  const rb = TYPE_RANK[tb] ?? 13;
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 1:
      return 0;
    case 2:
      return asNumber(a) - asNumber(b);
    case 3:
    case 7: {
      const sa = String(a);
      const sb = String(b);
      return sa < sb ? -1 : sa > sb ? 1 : 0;
    }
    case 8:
      return Number(a) - Number(b);
    case 9:
      return (a as Date).getTime() - (b as Date).getTime();
    default: {
      const ka = valueKey(a);
      const kb = valueKey(b);
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    }
  }
}

function compareEntries(a: SortedEntry, b: SortedEntry): number {
  for (let i = 0; i < a.values.length; i++) {
    const c = compareValues(a.values[i], b.values[i]);
    if (c !== 0) return c;
  }
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Bounds: equal on the first `eq.length` fields, then an optional range on the next one. */
export interface KeyRange {
  eq: unknown[];
  low?: { value: unknown; inclusive: boolean };
  high?: { value: unknown; inclusive: boolean };
}

const tombstone = (e: SortedEntry): string => `${e.full}\0${e.id}`;

export class SortedKeys {
  private base: SortedEntry[];
  private readonly pending = new Map<string, SortedEntry>();
  private readonly removed = new Set<string>();
  /** Pending entries scanned by queries since the last compaction: when it reaches the base's size, merging is cheaper. */
  private scanDebt = 0;

  constructor(entries: SortedEntry[]) {
    this.base = entries.sort(compareEntries);
  }

  add(entry: SortedEntry): void {
    this.pending.set(tombstone(entry), entry);
  }

  remove(entry: SortedEntry): void {
    const key = tombstone(entry);
    if (!this.pending.delete(key)) this.removed.add(key);
  }

  /**
   * _id keys of entries inside `range` (may contain duplicates for multikey documents), or null
   * as soon as there are more than `limit` of them (the planner has a better index already).
   */
  query(range: KeyRange, limit = Infinity): string[] | null {
    const unmerged = this.pending.size + this.removed.size;
    this.scanDebt += unmerged;
    if (unmerged > Math.max(256, Math.sqrt(this.base.length) * 4) || (unmerged > 0 && this.scanDebt > this.base.length))
      this.compact();
    const out: string[] = [];
    let lo = 0;
    let hi = this.base.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (belowRange(this.base[mid] as SortedEntry, range)) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.base.length; i++) {
      const e = this.base[i] as SortedEntry;
      if (!withinUpper(e, range)) break;
      if ((this.removed.size === 0 || !this.removed.has(tombstone(e))) && out.push(e.id) > limit) return null;
    }
    for (const e of this.pending.values())
      if (!belowRange(e, range) && withinUpper(e, range) && out.push(e.id) > limit) return null;
    return out;
  }

  /** Folds pending additions and removals into the sorted base (linear merge). */
  private compact(): void {
    const kept = this.removed.size ? this.base.filter((e) => !this.removed.has(tombstone(e))) : this.base;
    const added = [...this.pending.values()].sort(compareEntries);
    const merged: SortedEntry[] = new Array(kept.length + added.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < kept.length && j < added.length) {
      merged[k++] =
        compareEntries(kept[i] as SortedEntry, added[j] as SortedEntry) <= 0
          ? (kept[i++] as SortedEntry)
          : (added[j++] as SortedEntry);
    }
    while (i < kept.length) merged[k++] = kept[i++] as SortedEntry;
    while (j < added.length) merged[k++] = added[j++] as SortedEntry;
    this.base = merged;
    this.pending.clear();
    this.removed.clear();
    this.scanDebt = 0;
  }
}

/** True if `e` sorts before the start of `range`. */
function belowRange(e: SortedEntry, range: KeyRange): boolean {
  for (let i = 0; i < range.eq.length; i++) {
    const c = compareValues(e.values[i], range.eq[i]);
    if (c !== 0) return c < 0;
  }
  if (!range.low) return false;
  const c = compareValues(e.values[range.eq.length], range.low.value);
  return c < 0 || (c === 0 && !range.low.inclusive);
}

/** True if `e` does not sort after the end of `range`. */
function withinUpper(e: SortedEntry, range: KeyRange): boolean {
  for (let i = 0; i < range.eq.length; i++) {
    if (compareValues(e.values[i], range.eq[i]) !== 0) return false;
  }
  if (!range.high) return true;
  const c = compareValues(e.values[range.eq.length], range.high.value);
  return c < 0 || (c === 0 && range.high.inclusive);
}
