/**
 * Databases and collections, and the only mutation API the commands use.
 *
 * Every successful mutation is reported to the journal sink as one logical
 * record (insert post-image, update post-image, delete by _id, DDL) right
 * after it is applied in memory; {@link Catalog.apply} replays those records.
 */
import { Binary, UUID, type Document } from 'bson';
import { isPlainObject } from './bson-values.ts';
import { Collection } from './collection.ts';
import { ErrorCode, fail } from './errors.ts';
import type { IndexSpec } from './index-spec.ts';

/** Receives one record per applied mutation (the journal, or nothing). */
export interface JournalSink {
  append(record: Document): void;
}

/** Journal records carry the UUID as BSON Binary subtype 4. */
function toUuid(v: unknown): UUID | undefined {
  if (v instanceof UUID) return v;
  if (v instanceof Binary && v.sub_type === Binary.SUBTYPE_UUID) return v.toUUID();
  return undefined;
}

const INVALID_DB_CHARS = /[/\\. "$\0]/;

/** Validates a database name the way mongod does (code 73). */
export function checkDbName(db: unknown): string {
  if (typeof db !== 'string' || db.length === 0 || db.length > 63 || INVALID_DB_CHARS.test(db)) {
    fail(ErrorCode.InvalidNamespace, `Invalid database name: '${String(db)}'`);
  }
  return db;
}

/** Validates a collection name (code 73). */
export function checkCollName(db: string, name: unknown): string {
  if (typeof name !== 'string') fail(ErrorCode.InvalidNamespace, `collection name has invalid type ${typeof name}`);
  if (name.length === 0 || name.includes('$') || name.includes('\0') || name.startsWith('.')) {
    fail(ErrorCode.InvalidNamespace, `Invalid collection name: ${db}.${name}`);
  }
  return name;
}

/** Like mongod: an `_id` may not hold `$`-prefixed fields at any depth (code 52). */
function checkIdForStorage(id: unknown): void {
  if (Array.isArray(id)) return id.forEach(checkIdForStorage);
  if (!isPlainObject(id)) return;
  for (const [k, v] of Object.entries(id)) {
    if (k.startsWith('$'))
      fail(
        ErrorCode.DollarPrefixedFieldName,
        `_id fields may not contain '$'-prefixed fields: ${k} is not valid for storage.`,
      );
    checkIdForStorage(v);
  }
}

export class Catalog {
  readonly databases = new Map<string, Map<string, Collection>>();
  sink: JournalSink | null = null;

  getCollection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.get(name);
  }

  /** Collections of one database, in creation order. */
  collections(db: string): Collection[] {
    return [...(this.databases.get(db)?.values() ?? [])];
  }

  /** Returns the collection, creating it implicitly like mongod does on first write. */
  ensureCollection(db: string, name: string): Collection {
    return this.getCollection(db, name) ?? this.createCollection(db, name, {});
  }

  createCollection(db: string, name: string, options: Document): Collection {
    checkDbName(db);
    checkCollName(db, name);
    if (this.getCollection(db, name)) fail(ErrorCode.NamespaceExists, `Collection ${db}.${name} already exists.`);
    const coll = new Collection(db, name, options);
    this.install(coll);
    this.sink?.append({ op: 'create', db, coll: name, options, uuid: coll.uuid });
    return coll;
  }

  /** Drops a collection; returns false if it did not exist. */
  dropCollection(db: string, name: string): boolean {
    const dbMap = this.databases.get(db);
    if (!dbMap?.delete(name)) return false;
    if (dbMap.size === 0) this.databases.delete(db);
    this.sink?.append({ op: 'drop', db, coll: name });
    return true;
  }

  dropDatabase(db: string): void {
    if (!this.databases.delete(db)) return;
    this.sink?.append({ op: 'dropDb', db });
  }

  insert(coll: Collection, doc: Document): void {
    checkIdForStorage(doc._id);
    coll.insert(doc);
    this.sink?.append({ op: 'ins', db: coll.db, coll: coll.name, doc });
  }

  replace(coll: Collection, oldDoc: Document, newDoc: Document): void {
    coll.replace(oldDoc, newDoc);
    this.sink?.append({ op: 'upd', db: coll.db, coll: coll.name, doc: newDoc });
  }

  remove(coll: Collection, doc: Document): void {
    coll.remove(doc);
    this.sink?.append({ op: 'del', db: coll.db, coll: coll.name, id: doc._id });
  }

  /** Creates an index; returns false when an identical one already existed. */
  createIndex(coll: Collection, spec: IndexSpec): boolean {
    const created = coll.createIndex(spec);
    if (created) this.sink?.append({ op: 'idx', db: coll.db, coll: coll.name, spec });
    return created;
  }

  dropIndex(coll: Collection, name: string): void {
    coll.dropIndex(name);
    this.sink?.append({ op: 'dropIdx', db: coll.db, coll: coll.name, name });
  }

  /**
   * Applies a journal/snapshot record without journaling it again.
   * Idempotent where it can be, so replaying a journal on top of a snapshot
   * that already contains part of it converges to the same state.
   */
  apply(rec: Document): void {
    const db = String(rec.db);
    const name = String(rec.coll);
    switch (rec.op) {
      case 'create':
        if (!this.getCollection(db, name)) this.install(new Collection(db, name, rec.options ?? {}, toUuid(rec.uuid)));
        return;
      case 'drop':
        this.databases.get(db)?.delete(name);
        if (this.databases.get(db)?.size === 0) this.databases.delete(db);
        return;
      case 'dropDb':
        this.databases.delete(db);
        return;
      case 'idx':
        this.replayColl(db, name).createIndex(rec.spec as IndexSpec);
        return;
      case 'dropIdx':
        this.replayColl(db, name).dropIndex(String(rec.name));
        return;
      default:
        this.applyDocRecord(rec, this.replayColl(db, name));
    }
  }

  private applyDocRecord(rec: Document, coll: Collection): void {
    if (rec.op === 'del') {
      const doc = coll.getById(rec.id);
      if (doc) coll.remove(doc);
      return;
    }
    const doc = rec.doc as Document;
    const existing = coll.getById(doc._id);
    if (rec.op === 'ins' && !existing) coll.insert(doc);
    else if (existing) coll.replace(existing, doc);
    else coll.insert(doc);
  }

  private replayColl(db: string, name: string): Collection {
    const existing = this.getCollection(db, name);
    if (existing) return existing;
    const coll = new Collection(db, name);
    this.install(coll);
    return coll;
  }

  private install(coll: Collection): void {
    let dbMap = this.databases.get(coll.db);
    if (!dbMap) this.databases.set(coll.db, (dbMap = new Map()));
    dbMap.set(coll.name, coll);
  }
}
