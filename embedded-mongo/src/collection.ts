/**
 * In-memory collection: documents in insertion order (mongod's natural order
 * for a fresh collection) keyed by the canonical `_id` key, which doubles as
 * the unique `_id_` index, plus the secondary hash indexes.
 *
 * Stored documents are never mutated: updates swap in a new object, so
 * documents already handed to a cursor keep their snapshot.
 */
import { UUID, type Document } from 'bson';
import { valueKey } from './bson-values.ts';
import { CollectionIndex, duplicateKeyError, type IndexEntries } from './collection-index.ts';
import { ErrorCode, fail } from './errors.ts';
import { compareWithExisting, ID_INDEX, type IndexSpec } from './index-spec.ts';
import { noteStored } from './numbers.ts';

export class Collection {
  readonly db: string;
  readonly name: string;
  readonly options: Document;
  readonly uuid: UUID;
  /** _id key → document, in natural order. */
  readonly docs = new Map<string, Document>();
  private readonly indexes = new Map<string, CollectionIndex>();

  constructor(db: string, name: string, options: Document = {}, uuid?: UUID) {
    this.db = db;
    this.name = name;
    this.options = options;
    this.uuid = uuid ?? new UUID();
  }

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  /** Specs of all indexes, `_id_` first (listIndexes order). */
  indexSpecs(): IndexSpec[] {
    return [ID_INDEX, ...[...this.indexes.values()].map((i) => i.spec)];
  }

  secondaryIndexes(): CollectionIndex[] {
    return [...this.indexes.values()];
  }

  getIndex(name: string): CollectionIndex | undefined {
    return this.indexes.get(name);
  }

  getById(id: unknown): Document | undefined {
    return this.docs.get(valueKey(id));
  }

  /** Inserts a document (must already carry `_id`); throws E11000 on conflicts. */
  insert(doc: Document): void {
    const idKey = valueKey(doc._id);
    if (this.docs.has(idKey)) throw duplicateKeyError(this.ns, ID_INDEX, ['_id'], [doc._id]);
    const all = this.collectEntries(doc);
    for (const [index, entries] of all) index.checkUnique(entries, idKey, this.ns);
    for (const [index, entries] of all) index.add(entries, idKey);
    noteStored(doc);
    this.docs.set(idKey, doc);
  }

  /** Replaces `oldDoc` by `newDoc` (same `_id`), keeping its natural position. */
  replace(oldDoc: Document, newDoc: Document): void {
    const idKey = valueKey(oldDoc._id);
    if (valueKey(newDoc._id) !== idKey) {
      fail(ErrorCode.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
    }
    const changes: Array<[CollectionIndex, IndexEntries | null, IndexEntries | null]> = [];
    for (const index of this.indexes.values()) {
      if (index.unchangedBetween(oldDoc, newDoc)) continue;
      const before = index.entriesFor(oldDoc);
      const after = index.entriesFor(newDoc);
      if (sameEntries(before, after)) continue;
      index.checkUnique(after, idKey, this.ns);
      changes.push([index, before, after]);
    }
    for (const [index, before, after] of changes) {
      index.remove(before, idKey);
      index.add(after, idKey);
    }
    noteStored(newDoc);
    this.docs.set(idKey, newDoc);
  }

  /** Removes a document by its current stored version. */
  remove(doc: Document): void {
    const idKey = valueKey(doc._id);
    for (const index of this.indexes.values()) index.remove(index.entriesFor(doc), idKey);
    this.docs.delete(idKey);
  }

  /**
   * Adds an index and builds it over existing documents; fails without side
   * effects on duplicates. Returns false if an identical index exists.
   */
  createIndex(spec: IndexSpec): boolean {
    for (const existing of this.indexSpecs()) {
      if (compareWithExisting(spec, existing) === 'exists') return false;
    }
    const index = new CollectionIndex(spec);
    for (const [idKey, doc] of this.docs) {
      const entries = index.entriesFor(doc);
      index.checkUnique(entries, idKey, this.ns);
      index.add(entries, idKey);
    }
    this.indexes.set(spec.name, index);
    return true;
  }

  dropIndex(name: string): void {
    if (name === '_id_') fail(ErrorCode.InvalidOptions, 'cannot drop _id index');
    if (!this.indexes.delete(name)) fail(ErrorCode.IndexNotFound, `index not found with name [${name}]`);
  }

  private collectEntries(doc: Document): Array<[CollectionIndex, IndexEntries | null]> {
    const out: Array<[CollectionIndex, IndexEntries | null]> = [];
    for (const index of this.indexes.values()) out.push([index, index.entriesFor(doc)]);
    return out;
  }
}

function sameEntries(a: IndexEntries | null, b: IndexEntries | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.full.length !== b.full.length || a.leading.length !== b.leading.length) return false;
  return a.full.every((k, i) => k === b.full[i]) && a.leading.every((k, i) => k === b.leading[i]);
}
