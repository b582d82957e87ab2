import { randomBytes } from 'node:crypto';
import { Binary, type AnyBulkWriteOperation, type Collection, type Document } from 'mongodb';
import { READ_BATCH, writeUnordered } from './bulk-chunks.ts';

/**
 * Compare-and-set for the rollup levels above the rollups (see domain/rollup-refresh.ts).
 *
 * Every write of a user-day, user-month or path-day stores a new revision `rev`, unique to that
 * write. A run that refreshes a document reads it (and its `rev`) before reading the level
 * below, then writes only if `rev` is still the one it read. So whenever the level below
 * changed after the run read it, the run that changed it writes the document after ours
 * (and reads ours, or loses to it and merges again), or ours loses: no stale slot survives.
 * A document written before revisions existed has none; `rev: null` matches it.
 */
type StringIdDoc = Document & { _id: string };

const PREFIX = randomBytes(6).toString('base64url');
let counter = 0;

/** A revision no other write has: this process's random prefix and a counter. */
export const newRev = (): string => `${PREFIX}${(counter++).toString(36)}`;

/** A document rebuilt from what was read of it. */
export interface Rewrite {
  id: string;
  /** The revision read (null: a document without one); undefined when there was no document. */
  rev: string | null | undefined;
  /** Its new fields; null to delete it. */
  next: Document | null;
  /**
   * The document as read, when a write that changes nothing may be skipped: it already holds
   * what this run read below it. (Not for a write whose point is its new revision.)
   */
  stored?: Document;
}

/** Whether every field of `next` is stored as is (dates by instant, binaries by bytes). */
function holds(stored: Document, next: Document): boolean {
  const same = (a: unknown, b: unknown): boolean => {
    if (a instanceof Date || b instanceof Date)
      return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
    if (a instanceof Binary || b instanceof Binary)
      return a instanceof Binary && b instanceof Binary && Buffer.compare(a.value(), b.value()) === 0;
    if (Array.isArray(a) || Array.isArray(b))
      return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
    if (a && b && typeof a === 'object' && typeof b === 'object') {
      const ka = Object.keys(a);
      return ka.length === Object.keys(b).length && ka.every((k) => same((a as Document)[k], (b as Document)[k]));
    }
    return a === b || (a == null && b == null);
  };
  return Object.keys(next).every((k) => same(stored[k], next[k]));
}

/** What `Rewrite.rev` says of a document as read. */
export const revOf = (doc: { rev?: string } | undefined): string | null | undefined =>
  doc ? (doc.rev ?? null) : undefined;

/** The documents with these ids, with every field, by id. */
export async function readByIds<T extends { _id: string }>(
  coll: Collection<T>,
  ids: string[],
  projection?: Document,
): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (let i = 0; i < ids.length; i += READ_BATCH) {
    const filter = { _id: { $in: ids.slice(i, i + READ_BATCH) } };
    const read = { batchSize: READ_BATCH, ...(projection ? { projection } : {}) };
    const docs = await (coll as unknown as Collection<StringIdDoc>).find(filter, read).toArray();
    for (const d of docs as T[]) out.set(d._id, d);
  }
  return out;
}

/**
 * Writes each rewrite if its document still has the revision that was read (inserts it if there
 * was none; an insert that meets a document inserted meanwhile loses). Returns the ids of the
 * rewrites that lost; the caller rebuilds those whole.
 */
export async function compareAndSet<T extends { _id: string }>(
  coll: Collection<T>,
  rewrites: Rewrite[],
): Promise<string[]> {
  const ops: AnyBulkWriteOperation<StringIdDoc>[] = [];
  /** The revision each document must have once written; null: must be gone. */
  const expected = new Map<string, string | null>();
  for (const { id, rev, next, stored } of rewrites) {
    if (next && stored && holds(stored, next)) continue;
    if (next) {
      const fresh = newRev();
      expected.set(id, fresh);
      if (rev === undefined) ops.push({ insertOne: { document: { ...next, _id: id, rev: fresh } } });
      else ops.push({ updateOne: { filter: { _id: id, rev }, update: { $set: { ...next, rev: fresh } } } });
    } else if (rev !== undefined) {
      expected.set(id, null);
      ops.push({ deleteOne: { filter: { _id: id, rev } } });
    }
  }
  const applied = await writeUnordered(coll as unknown as Collection<StringIdDoc>, ops, { duplicatesLost: true });
  if (applied === ops.length) return [];
  // Some lost: look at what is stored now.
  const stored = await readRevs(coll, [...expected.keys()]);
  const lost = ([id, rev]: [string, string | null]) => (rev === null ? stored.has(id) : stored.get(id) !== rev);
  return [...expected].filter(lost).map(([id]) => id);
}

/** The revision of each stored document (null: one without), by id; absent ids are not stored. */
export async function readRevs<T extends { _id: string }>(coll: Collection<T>, ids: string[]) {
  const docs = await readByIds(coll as unknown as Collection<{ _id: string; rev?: string }>, ids, { rev: 1 });
  return new Map([...docs].map(([id, d]) => [id, d.rev ?? null]));
}

/** Rounds before giving up: the caller fails, and is retried (a run's watermark stays). */
const ROUNDS = 5;

/**
 * Writes `all` with `write` (which returns the ids that lost), then again what lost, until
 * nothing does: only a concurrent write makes one lose, so a few rounds settle it. With
 * `firstLost`, the caller has written the first round itself (refreshLevels: user-days and
 * path-days on one read) and these ids lost it; it counts as one of the rounds.
 */
export async function untilSettled<T>(
  all: Map<string, T>,
  write: (part: Map<string, T>) => Promise<string[]>,
  firstLost?: string[],
) {
  const only = (ids: string[]) => new Map(ids.map((id) => [id, all.get(id) as T]));
  let part = firstLost === undefined ? all : only(firstLost);
  for (let round = firstLost === undefined ? 0 : 1; part.size > 0; round++) {
    if (round === ROUNDS)
      throw new Error(`rollup levels: ${part.size} documents still changing after ${ROUNDS} rounds`);
    part = only(await write(part));
  }
}
