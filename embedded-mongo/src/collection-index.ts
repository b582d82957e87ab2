/**
 * One secondary index, kept as hash maps so that every write costs O(1)
 * regardless of collection size:
 *  - unique indexes map the canonical full key → _id key (duplicate check);
 *  - every index maps its leading field's value key → _id key(s), which the
 *    planner uses for equality / $in lookups.
 * Range predicates use a lazily built ordered view (sorted-keys.ts) whose
 * maintenance is also O(1) per write.
 */
import type { Document } from 'bson';
import { indexedValues, valueKey } from './bson-values.ts';
import { ErrorCode, MongoCommandError } from './errors.ts';
import type { IndexSpec } from './index-spec.ts';
import { compileFilter } from './mingo-engine.ts';
import { SortedKeys, type KeyRange, type SortedEntry } from './sorted-keys.ts';

/** Keys one document contributes to an index. */
export interface IndexEntries {
  /** Canonical compound keys (several for multikey documents). */
  full: string[];
  /** The indexed values behind each full key (parallel to `full`). */
  values: unknown[][];
  /** Distinct leading-field keys. */
  leading: string[];
}

type IdSet = string | Set<string>;

// Multikey documents fan out to the cartesian product of their array
// fields; mongod rejects "parallel arrays", we just cap the explosion.
const MAX_KEYS_PER_DOC = 10_000;

export class CollectionIndex {
  readonly spec: IndexSpec;
  readonly fields: string[];
  private readonly partial: ((doc: Document) => boolean) | null;
  private readonly uniqueKeys: Map<string, string> | null;
  private readonly byLeading = new Map<string, IdSet>();
  /** True once any document produced more than one key (mongod's isMultiKey). */
  multiKey = false;
  /** Ordered view for range queries, built on first use (see sorted-keys.ts). */
  private sorted: SortedKeys | null = null;

  constructor(spec: IndexSpec) {
    this.spec = spec;
    this.fields = Object.keys(spec.key);
    this.partial = spec.partialFilterExpression ? compileFilter(spec.partialFilterExpression) : null;
    this.uniqueKeys = spec.unique ? new Map() : null;
  }

  get name(): string {
    return this.spec.name;
  }

  /** Whether equality lookups on the leading field can be answered from this index. */
  get servesEquality(): boolean {
    return this.partial === null;
  }

  /** The keys of `doc`, or null if the index does not cover it (sparse / partial). */
  /**
   * True when an update cannot have moved this index's keys: every field is top-level and holds
   * the same string, number, boolean, null or date before and after (most updates touch a few
   * fields, most indexes none of them). False means "compute the entries and compare".
   */
  unchangedBetween(before: Document, after: Document): boolean {
    for (const f of this.fields) {
      if (f.includes('.')) return false;
      const a: unknown = before[f];
      const b: unknown = after[f];
      if (a === b && (a === null || a === undefined || typeof a !== 'object')) continue;
      if (a instanceof Date && b instanceof Date && a.getTime() === b.getTime()) continue;
      return false;
    }
    return !this.partial;
  }

  entriesFor(doc: Document): IndexEntries | null {
    if (this.partial && !this.partial(doc)) return null;
    const perField = this.fields.map((f) => indexedValues(doc, f));
    if (this.spec.sparse && perField.every((vals) => vals.length === 1 && vals[0] === undefined)) return null;
    let combos: unknown[][] = [[]];
    for (const vals of perField) {
      const next: unknown[][] = [];
      for (const combo of combos) for (const v of vals) next.push([...combo, v]);
      combos = next.length > MAX_KEYS_PER_DOC ? next.slice(0, MAX_KEYS_PER_DOC) : next;
    }
    const byKey = new Map<string, unknown[]>();
    for (const combo of combos) byKey.set(combo.map(valueKey).join(''), combo);
    const leading = [...new Set((perField[0] ?? []).map(valueKey))];
    return { full: [...byKey.keys()], values: [...byKey.values()], leading };
  }

  /** Throws E11000 if `entries` collide with another document's keys. */
  checkUnique(entries: IndexEntries | null, idKey: string, ns: string): void {
    if (!this.uniqueKeys || !entries) return;
    for (let i = 0; i < entries.full.length; i++) {
      const owner = this.uniqueKeys.get(entries.full[i] as string);
      if (owner !== undefined && owner !== idKey) {
        throw duplicateKeyError(ns, this.spec, this.fields, entries.values[i] ?? []);
      }
    }
  }

  add(entries: IndexEntries | null, idKey: string): void {
    if (!entries) return;
    if (this.sorted)
      entries.full.forEach((full, i) => this.sorted?.add({ full, values: entries.values[i] ?? [], id: idKey }));
    if (entries.full.length > 1 || entries.leading.length > 1) this.multiKey = true;
    if (this.uniqueKeys) for (const k of entries.full) this.uniqueKeys.set(k, idKey);
    for (const k of entries.leading) {
      const cur = this.byLeading.get(k);
      if (cur === undefined) this.byLeading.set(k, idKey);
      else if (typeof cur === 'string') this.byLeading.set(k, cur === idKey ? cur : new Set([cur, idKey]));
      else cur.add(idKey);
    }
  }

  remove(entries: IndexEntries | null, idKey: string): void {
    if (!entries) return;
    if (this.sorted)
      entries.full.forEach((full, i) => this.sorted?.remove({ full, values: entries.values[i] ?? [], id: idKey }));
    if (this.uniqueKeys) for (const k of entries.full) if (this.uniqueKeys.get(k) === idKey) this.uniqueKeys.delete(k);
    for (const k of entries.leading) {
      const cur = this.byLeading.get(k);
      if (cur === idKey) this.byLeading.delete(k);
      else if (cur instanceof Set) {
        cur.delete(idKey);
        if (cur.size === 1) this.byLeading.set(k, cur.values().next().value as string);
      }
    }
  }

  /** _id keys of documents whose leading field equals one of `valueKeys`. */
  /** How many ids `lookup` would return at most (without building the list). */
  lookupCount(valueKeys: string[]): number {
    let n = 0;
    for (const k of valueKeys) {
      const hit = this.byLeading.get(k);
      n += hit === undefined ? 0 : typeof hit === 'string' ? 1 : hit.size;
    }
    return n;
  }

  lookup(valueKeys: string[]): string[] {
    const out: string[] = [];
    for (const k of valueKeys) {
      const hit = this.byLeading.get(k);
      if (hit === undefined) continue;
      if (typeof hit === 'string') out.push(hit);
      else for (const id of hit) out.push(id);
    }
    return valueKeys.length > 1 ? [...new Set(out)] : out;
  }

  /** _id keys of documents with keys inside `range`; builds the ordered view on first use. */
  /** Ids inside `range`; null when more than `limit` entries are (see SortedKeys.query). */
  rangeLookup(range: KeyRange, docs: Map<string, Document>, limit = Infinity): string[] | null {
    if (!this.sorted) {
      const all: SortedEntry[] = [];
      for (const [id, doc] of docs) {
        const entries = this.entriesFor(doc);
        entries?.full.forEach((full, i) => all.push({ full, values: entries.values[i] ?? [], id }));
      }
      this.sorted = new SortedKeys(all);
    }
    const ids = this.sorted.query(range, this.multiKey ? Infinity : limit);
    return this.multiKey && ids ? [...new Set(ids)] : ids;
  }
}

/** Renders a value the way mongod prints it inside `dup key: { … }`. */
function renderKeyValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  const tag = (v as { _bsontype?: string })._bsontype;
  if (tag === 'ObjectId') return `ObjectId('${String(v)}')`;
  if (tag !== undefined) return String(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** The E11000 error mongod returns, with keyPattern and keyValue. */
export function duplicateKeyError(ns: string, spec: IndexSpec, fields: string[], values: unknown[]): MongoCommandError {
  const keyValue: Document = {};
  fields.forEach((f, i) => {
    keyValue[f] = values[i] === undefined ? null : values[i];
  });
  const rendered = fields.map((f, i) => `${f}: ${renderKeyValue(values[i])}`).join(', ');
  return new MongoCommandError(
    ErrorCode.DuplicateKey,
    `E11000 duplicate key error collection: ${ns} index: ${spec.name} dup key: { ${rendered} }`,
    { keyPattern: { ...spec.key }, keyValue },
  );
}
