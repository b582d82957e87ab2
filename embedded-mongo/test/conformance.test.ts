/**
 * Conformance suite, part 1: commands, error shapes, batches, cursors,
 * indexes and explain – through mongoose and the raw driver. Runs against
 * the embedded server and, when available, a real MongoDB (see targets.ts).
 */
import { Long, MongoBulkWriteError, MongoServerError } from 'mongodb';
import mongoose from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTargetConnections } from './target-connections.ts';
import { conformanceTargets, planSummary } from './targets.ts';

const targets = conformanceTargets('conformance');

/** Awaits a rejection and checks it is a server error (mongoose bundles its own driver copy, so no instanceof). */
async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect((err as Error | null)?.name).toBe('MongoServerError');
  return err as MongoServerError;
}

/** Cursor ids come back as Long, or as the number 0 once the driver promotes an exhausted id. */
const isZeroId = (id: unknown): boolean => String(id) === '0';

describe.each(targets)('conformance on $name', (target) => {
  const t = useTargetConnections(target, 'conf');
  const { dbName } = t;

  describe('handshake and server commands', () => {
    it('hello / isMaster describe a writable standalone', async () => {
      const hello = await t.db.admin().command({ hello: 1 });
      expect(hello).toMatchObject({
        ok: 1,
        isWritablePrimary: true,
        minWireVersion: 0,
        logicalSessionTimeoutMinutes: 30,
        maxBsonObjectSize: 16777216,
        maxWriteBatchSize: 100000,
      });
      expect(hello.maxWireVersion).toBeGreaterThanOrEqual(9);
      expect(hello.maxMessageSizeBytes).toBeGreaterThanOrEqual(48000000);
      expect(hello.localTime).toBeInstanceOf(Date);
      expect(typeof hello.connectionId).toBe('number');
      expect(hello.compression).toBeUndefined();
      const legacy = await t.db.admin().command({ isMaster: 1 });
      expect(legacy.ismaster).toBe(true);
      expect((await t.db.admin().command({ ismaster: 1 })).ismaster).toBe(true);
    });

    it('ping, buildInfo, hostInfo, getParameter, getCmdLineOpts, serverStatus, sessions', async () => {
      expect(await t.db.command({ ping: 1 })).toMatchObject({ ok: 1 });
      const build = await t.db.admin().command({ buildInfo: 1 });
      expect(build.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(Array.isArray(build.versionArray)).toBe(true);
      expect((await t.db.admin().command({ hostInfo: 1 })).ok).toBe(1);
      expect((await t.db.admin().command({ getParameter: 1, featureCompatibilityVersion: 1 })).ok).toBe(1);
      expect((await t.db.admin().command({ getCmdLineOpts: 1 })).ok).toBe(1);
      const status = await t.db.admin().command({ serverStatus: 1 });
      expect(status.ok).toBe(1);
      expect(typeof status.uptime).toBe('number');
      expect(status.connections.current).toBeGreaterThan(0);
      const session = t.client.startSession();
      await t.db.collection('sessions').insertOne({ a: 1 }, { session });
      await session.endSession();
      expect((await t.db.admin().command({ endSessions: [] })).ok).toBe(1);
      expect((await t.db.admin().command({ killAllSessions: [] })).ok).toBe(1);
    });

    it('transactions are refused like on a standalone mongod, and nothing is written', async () => {
      const session = t.client.startSession();
      const attempt = session.withTransaction(async () => {
        await t.db.collection('tx').insertOne({ a: 1 }, { session });
      });
      // mongod answers code 20; the driver rewrites it into its "does not support retryable writes" hint.
      await expect(attempt).rejects.toThrow(/retryable writes|Transaction numbers/);
      await session.endSession();
      expect(await t.db.collection('tx').countDocuments()).toBe(0);
    });

    it('unknown commands fail with CommandNotFound', async () => {
      const err = await serverError(t.db.command({ frobnicate: 1 }));
      expect(err.code).toBe(59);
      expect(err.codeName).toBe('CommandNotFound');
      expect(err.message).toBe("no such command: 'frobnicate'");
    });

    it('tolerates generic fields (readConcern, writeConcern, comment, maxTimeMS)', async () => {
      const res = await t.db.command({
        find: 'generic',
        filter: {},
        readConcern: { level: 'local' },
        comment: 'x',
        maxTimeMS: 1000,
      });
      expect(res.cursor.firstBatch).toEqual([]);
      const ins = await t.db.command({ insert: 'generic', documents: [{ a: 1 }], writeConcern: { w: 1, j: true } });
      expect(ins).toMatchObject({ ok: 1, n: 1 });
    });
  });

  describe('namespaces', () => {
    it('create, listCollections (filter, nameOnly), drop', async () => {
      await t.db.createCollection('made');
      const err = await t.db.command({ create: 'made', capped: true, size: 4096 }).then(
        () => null,
        (e: MongoServerError) => e,
      );
      expect(err?.code).toBe(48);
      const infos = await t.db.listCollections({ name: 'made' }).toArray();
      expect(infos).toHaveLength(1);
      expect(infos[0]).toMatchObject({ name: 'made', type: 'collection' });
      const raw = await t.db.command({ listCollections: 1, filter: { name: 'made' }, nameOnly: true });
      expect(raw.cursor.firstBatch).toEqual([{ name: 'made', type: 'collection' }]);
      expect(isZeroId(raw.cursor.id)).toBe(true);
      expect(await t.db.collection('made').drop()).toBe(true);
      expect(await t.db.listCollections({ name: 'made' }).toArray()).toEqual([]);
    });

    it('listDatabases and dropDatabase', async () => {
      const other = t.client.db(`${dbName}_x`);
      await other.collection('c').insertOne({ a: 1 });
      const list = await t.db.admin().listDatabases();
      expect(list.databases.map((d) => d.name)).toContain(`${dbName}_x`);
      const names = await t.db.admin().command({ listDatabases: 1, nameOnly: true });
      expect(names.databases.map((d: { name: string }) => d.name)).toContain(`${dbName}_x`);
      await other.dropDatabase();
      const after = await t.db.admin().listDatabases();
      expect(after.databases.map((d) => d.name)).not.toContain(`${dbName}_x`);
    });

    it('dbStats and collStats', async () => {
      await t.db.collection('stats').insertMany([{ a: 1 }, { a: 2 }]);
      const stats = await t.db.command({ dbStats: 1 });
      expect(stats.ok).toBe(1);
      expect(stats.objects).toBeGreaterThanOrEqual(2);
      const coll = await t.db.command({ collStats: 'stats' });
      expect(coll).toMatchObject({ ok: 1, count: 2 });
    });
  });

  describe('indexes', () => {
    it('createIndexes / listIndexes / dropIndexes', async () => {
      const c = t.db.collection('idx');
      await c.insertOne({ a: 1, b: 1, at: new Date() });
      expect(await c.createIndex({ a: 1 })).toBe('a_1');
      await c.createIndexes([
        { key: { a: 1, b: -1 }, name: 'ab', unique: true },
        { key: { s: 1 }, sparse: true },
        { key: { p: 1 }, unique: true, partialFilterExpression: { p: { $exists: true } } },
        { key: { at: 1 }, expireAfterSeconds: 3600 },
      ]);
      const again = await t.db.command({ createIndexes: 'idx', indexes: [{ key: { a: 1 }, name: 'a_1' }] });
      expect(again.numIndexesBefore).toBe(again.numIndexesAfter);
      const list = await c.listIndexes().toArray();
      expect(list.map((i) => i.name)).toEqual(['_id_', 'a_1', 'ab', 's_1', 'p_1', 'at_1']);
      expect(list.find((i) => i.name === 'ab')).toMatchObject({ key: { a: 1, b: -1 }, unique: true });
      expect(list.find((i) => i.name === 's_1')).toMatchObject({ sparse: true });
      expect(list.find((i) => i.name === 'at_1')).toMatchObject({ expireAfterSeconds: 3600 });
      expect(list.find((i) => i.name === 'p_1')?.partialFilterExpression).toEqual({ p: { $exists: true } });
      await c.dropIndex('a_1');
      await t.db.command({ dropIndexes: 'idx', index: { s: 1 } });
      expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'ab', 'p_1', 'at_1']);
      await c.dropIndexes();
      expect((await c.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    });

    it('index errors: conflicts, missing index, _id_, missing namespace', async () => {
      const c = t.db.collection('idxerr');
      await c.createIndex({ a: 1 }, { name: 'x' });
      expect((await serverError(c.createIndex({ b: 1 }, { name: 'x' }))).code).toBe(86);
      expect((await serverError(c.createIndex({ a: 1 }, { name: 'y' }))).code).toBe(85);
      expect((await serverError(c.dropIndex('nope'))).code).toBe(27);
      expect((await serverError(c.dropIndex('_id_'))).code).toBe(72);
      expect((await serverError(t.db.command({ listIndexes: 'missing_coll' }))).code).toBe(26);
      await c.insertMany([{ d: 1 }, { d: 1 }]);
      const dup = await serverError(c.createIndex({ d: 1 }, { unique: true }));
      expect(dup.code).toBe(11000);
      expect((await c.listIndexes().toArray()).map((i) => i.name)).not.toContain('d_1');
    });

    it('unique violations look like mongod through mongoose (keyPattern, keyValue, message)', async () => {
      const User = t.conn.model(
        'User',
        new mongoose.Schema({ email: { type: String, unique: true }, tenant: String, handle: String }),
      );
      User.schema.index({ tenant: 1, handle: 1 }, { unique: true });
      await User.init();
      await User.create({ email: 'a@x.io', tenant: 't1', handle: 'h' });
      const err = await serverError(User.create({ email: 'a@x.io', tenant: 't2', handle: 'h' }));
      expect(err.code).toBe(11000);
      expect(err.keyPattern).toEqual({ email: 1 });
      expect(err.keyValue).toEqual({ email: 'a@x.io' });
      expect(err.message).toBe(
        `E11000 duplicate key error collection: ${dbName}.users index: email_1 dup key: { email: "a@x.io" }`,
      );
      const compound = await serverError(User.create({ email: 'b@x.io', tenant: 't1', handle: 'h' }));
      expect(compound.keyPattern).toEqual({ tenant: 1, handle: 1 });
      expect(compound.keyValue).toEqual({ tenant: 't1', handle: 'h' });
      const doc = await User.findOne({ email: 'a@x.io' }).lean();
      const idDup = await serverError(User.collection.insertOne({ _id: doc!._id, email: 'c@x.io' }));
      expect(idDup.keyPattern).toEqual({ _id: 1 });
      expect(idDup.message).toContain('index: _id_ dup key: { _id: ObjectId(');
    });

    it('sparse and partial unique indexes only constrain covered documents', async () => {
      const c = t.db.collection('sparse');
      await c.createIndex({ s: 1 }, { unique: true, sparse: true });
      await c.createIndex({ p: 1 }, { unique: true, partialFilterExpression: { active: true } });
      await c.insertMany([{ x: 1 }, { x: 2 }]);
      await c.insertMany([
        { p: 1, active: false },
        { p: 1, active: false },
        { p: 1, active: true },
      ]);
      expect((await serverError(c.insertOne({ p: 1, active: true }))).code).toBe(11000);
      await c.insertOne({ s: 'v' });
      expect((await serverError(c.insertOne({ s: 'v' }))).keyValue).toEqual({ s: 'v' });
      // Non-sparse unique: a missing field counts as null, so only one may be missing.
      const n = t.db.collection('nonsparse');
      await n.createIndex({ u: 1 }, { unique: true });
      await n.insertOne({ x: 1 });
      expect((await serverError(n.insertOne({ x: 2 }))).keyValue).toEqual({ u: null });
    });

    it('updates that would violate a unique index fail and leave the document unchanged', async () => {
      const c = t.db.collection('uniqupd');
      await c.createIndex({ k: 1 }, { unique: true });
      await c.insertMany([
        { _id: 1 as never, k: 'a' },
        { _id: 2 as never, k: 'b' },
      ]);
      expect((await serverError(c.updateOne({ _id: 2 as never }, { $set: { k: 'a' } }))).code).toBe(11000);
      expect(await c.findOne({ _id: 2 as never })).toEqual({ _id: 2, k: 'b' });
      await c.updateOne({ _id: 2 as never }, { $set: { k: 'c' } });
      await c.insertOne({ _id: 3 as never, k: 'b' });
    });
  });

  describe('write batches', () => {
    it('ordered insert stops at the first error; unordered continues', async () => {
      const c = t.db.collection('batch');
      await c.insertOne({ _id: 2 as never });
      const ordered = await t.db.command({ insert: 'batch', documents: [{ _id: 1 }, { _id: 2 }, { _id: 3 }] });
      expect(ordered.ok).toBe(1);
      expect(ordered.n).toBe(1);
      expect(ordered.writeErrors).toHaveLength(1);
      expect(ordered.writeErrors[0]).toMatchObject({
        index: 1,
        code: 11000,
        keyPattern: { _id: 1 },
        keyValue: { _id: 2 },
      });
      expect(ordered.writeErrors[0].errmsg).toContain('E11000 duplicate key error collection');
      const unordered = await t.db.command({
        insert: 'batch',
        documents: [{ _id: 2 }, { _id: 4 }, { _id: 1 }, { _id: 5 }],
        ordered: false,
      });
      expect(unordered.n).toBe(2);
      expect(unordered.writeErrors.map((e: { index: number }) => e.index)).toEqual([0, 2]);
      expect(await c.countDocuments()).toBe(4);
    });

    it('insertMany surfaces MongoBulkWriteError with per-document errors', async () => {
      const c = t.db.collection('bulk');
      await c.createIndex({ k: 1 }, { unique: true });
      const err = await c.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }], { ordered: false }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MongoBulkWriteError);
      const bulk = err as MongoBulkWriteError;
      expect(bulk.insertedCount).toBe(2);
      expect(bulk.writeErrors).toHaveLength(1);
      expect(bulk.code).toBe(11000);
    });

    it('update and delete batches report n / nModified / upserted', async () => {
      await t.db.collection('ud').insertMany([
        { g: 1, v: 1 },
        { g: 1, v: 2 },
        { g: 2, v: 3 },
      ]);
      const res = await t.db.command({
        update: 'ud',
        updates: [
          { q: { g: 1 }, u: { $set: { seen: true } }, multi: true },
          { q: { g: 2 }, u: { $set: { v: 3 } } },
          { q: { g: 9 }, u: { $set: { v: 9 } }, upsert: true },
        ],
      });
      expect(res).toMatchObject({ ok: 1, n: 4, nModified: 2 });
      expect(res.upserted).toHaveLength(1);
      expect(res.upserted[0].index).toBe(2);
      const del = await t.db.command({
        delete: 'ud',
        deletes: [
          { q: { g: 1 }, limit: 1 },
          { q: {}, limit: 0 },
        ],
      });
      expect(del).toMatchObject({ ok: 1, n: 4 });
      const bad = await t.db.command({ delete: 'ud', deletes: [{ q: {}, limit: 2 }] }).then(
        (r) => r,
        (e: MongoServerError) => e,
      );
      expect(bad instanceof MongoServerError ? bad.code : bad.writeErrors?.[0]?.code).toBe(9);
    });
  });

  describe('reads and cursors', () => {
    beforeAll(async () => {
      await t.db
        .collection('items')
        .insertMany(
          Array.from({ length: 25 }, (_, i) => ({ i, even: i % 2 === 0, tags: [`t${i % 3}`], nested: { v: 25 - i } })),
        );
    });

    it('find with filter, sort, projection, skip, limit', async () => {
      const c = t.db.collection('items');
      const docs = await c
        .find({ even: true }, { projection: { _id: 0, i: 1 } })
        .sort({ i: -1 })
        .skip(2)
        .limit(3)
        .toArray();
      expect(docs).toEqual([{ i: 20 }, { i: 18 }, { i: 16 }]);
      expect(await c.countDocuments({ tags: 't1' })).toBe(8);
      const sortedByNested = await c
        .find({}, { projection: { 'nested.v': 1, _id: 0 } })
        .sort({ 'nested.v': 1 })
        .limit(2)
        .toArray();
      expect(sortedByNested).toEqual([{ nested: { v: 1 } }, { nested: { v: 2 } }]);
      const excluded = await c.findOne({ i: 3 }, { projection: { nested: 0, _id: 0, tags: 0 } });
      expect(excluded).toEqual({ i: 3, even: false });
      // The exclusion above must not have altered the stored document.
      expect((await c.findOne({ i: 3 }))?.nested).toEqual({ v: 22 });
    });

    it('batchSize + getMore + killCursors, singleBatch', async () => {
      const first = await t.db.command({ find: 'items', filter: {}, sort: { i: 1 }, batchSize: 10 });
      expect(first.cursor.firstBatch).toHaveLength(10);
      expect(first.cursor.ns).toBe(`${dbName}.items`);
      expect(first.cursor.id).toBeInstanceOf(Long);
      expect(isZeroId(first.cursor.id)).toBe(false);
      const more = await t.db.command({ getMore: first.cursor.id, collection: 'items', batchSize: 10 });
      expect(more.cursor.nextBatch.map((d: { i: number }) => d.i)).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      const killed = await t.db.command({ killCursors: 'items', cursors: [first.cursor.id] });
      expect(killed.cursorsKilled).toHaveLength(1);
      const gone = await serverError(t.db.command({ getMore: first.cursor.id, collection: 'items' }));
      expect(gone.code).toBe(43);
      expect(gone.codeName).toBe('CursorNotFound');
      const single = await t.db.command({ find: 'items', filter: {}, batchSize: 5, singleBatch: true });
      expect(isZeroId(single.cursor.id)).toBe(true);
      const empty = await t.db.command({ find: 'items', filter: { i: { $lt: 3 } }, batchSize: 0 });
      expect(empty.cursor.firstBatch).toEqual([]);
      expect(isZeroId(empty.cursor.id)).toBe(false);
      const rest = await t.db.command({ getMore: empty.cursor.id, collection: 'items' });
      expect(rest.cursor.nextBatch).toHaveLength(3);
      expect(isZeroId(rest.cursor.id)).toBe(true);
      const all = await t.db.collection('items').find({}, { batchSize: 4 }).toArray();
      expect(all).toHaveLength(25);
    });

    it('count, distinct, countDocuments, estimatedDocumentCount', async () => {
      expect((await t.db.command({ count: 'items', query: { even: true } })).n).toBe(13);
      expect((await t.db.command({ count: 'items', query: {}, skip: 20 })).n).toBe(5);
      expect((await t.db.collection('items').distinct('tags')).sort()).toEqual(['t0', 't1', 't2']);
      expect(await t.db.collection('items').distinct('i', { i: { $lt: 3 } })).toEqual(
        expect.arrayContaining([0, 1, 2]),
      );
      expect(await t.db.collection('items').countDocuments({ i: { $gte: 20 } })).toBe(5);
      expect(await t.db.collection('items').estimatedDocumentCount()).toBe(25);
      expect(await t.db.collection('nothing_here').countDocuments()).toBe(0);
    });

    it('aggregate with cursor and common stages', async () => {
      const c = t.db.collection('items');
      const grouped = await c
        .aggregate([
          { $match: { i: { $lt: 10 } } },
          { $group: { _id: '$even', n: { $sum: 1 }, total: { $sum: '$i' } } },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(grouped).toEqual([
        { _id: false, n: 5, total: 25 },
        { _id: true, n: 5, total: 20 },
      ]);
      const unwound = await c
        .aggregate([
          { $match: { i: { $in: [1, 2] } } },
          { $unwind: '$tags' },
          { $project: { _id: 0, tag: '$tags' } },
          { $sort: { tag: 1 } },
        ])
        .toArray();
      expect(unwound).toEqual([{ tag: 't1' }, { tag: 't2' }]);
      const faceted = await c
        .aggregate([
          {
            $facet: {
              count: [{ $count: 'n' }],
              top: [{ $sort: { i: -1 } }, { $limit: 1 }, { $project: { _id: 0, i: 1 } }],
            },
          },
        ])
        .toArray();
      expect(faceted).toEqual([{ count: [{ n: 25 }], top: [{ i: 24 }] }]);
      const paged = await c
        .aggregate([
          { $sort: { i: 1 } },
          { $skip: 5 },
          { $limit: 2 },
          { $addFields: { 'nested.extra': 1 } },
          { $project: { _id: 0, i: 1, nested: 1 } },
        ])
        .toArray();
      expect(paged).toEqual([
        { i: 5, nested: { v: 20, extra: 1 } },
        { i: 6, nested: { v: 19, extra: 1 } },
      ]);
      expect((await c.findOne({ i: 5 }))?.nested).toEqual({ v: 20 });
      await t.db.collection('owners').insertMany([
        { _id: 't0' as never, label: 'zero' },
        { _id: 't1' as never, label: 'one' },
      ]);
      const joined = await c
        .aggregate([
          { $match: { i: 1 } },
          { $lookup: { from: 'owners', localField: 'tags', foreignField: '_id', as: 'owner' } },
          { $project: { _id: 0, label: { $first: '$owner.label' } } },
        ])
        .toArray();
      expect(joined).toEqual([{ label: 'one' }]);
      const batched = await t.db.command({ aggregate: 'items', pipeline: [{ $match: {} }], cursor: { batchSize: 3 } });
      expect(batched.cursor.firstBatch).toHaveLength(3);
      expect(isZeroId(batched.cursor.id)).toBe(false);
      await t.db.command({ killCursors: 'items', cursors: [batched.cursor.id] });
      expect((await serverError(t.db.command({ aggregate: 'items', pipeline: [] }))).code).toBe(9);
      expect(
        (await serverError(t.db.command({ aggregate: 'items', pipeline: [{ $bogus: 1 }], cursor: {} }))).code,
      ).toBe(40324);
    });

    it('bad arguments are rejected with mongod codes', async () => {
      expect((await serverError(t.db.command({ find: 'items', filter: 'nope' }))).code).toBe(14);
      expect((await serverError(t.db.command({ find: 'items', filter: { a: { $nope: 1 } } }))).code).toBe(2);
      expect((await serverError(t.db.command({ find: 'items', skip: -1 }))).code).toBeOneOf([2, 51024]);
      expect((await serverError(t.db.command({ find: 'items', batchSize: -1 }))).code).toBeOneOf([2, 51024]);
    });
  });

  describe('findAndModify', () => {
    it('returns the raw lastErrorObject / value shape', async () => {
      await t.db.collection('fam').insertMany([
        { k: 'a', n: 1 },
        { k: 'a', n: 2 },
      ]);
      const updated = await t.db.command({
        findAndModify: 'fam',
        query: { k: 'a' },
        sort: { n: -1 },
        update: { $inc: { n: 10 } },
        new: true,
        fields: { _id: 0 },
      });
      expect(updated).toMatchObject({
        ok: 1,
        lastErrorObject: { n: 1, updatedExisting: true },
        value: { k: 'a', n: 12 },
      });
      const old = await t.db.command({ findAndModify: 'fam', query: { k: 'a', n: 1 }, update: { $set: { n: 5 } } });
      expect(old.value).toMatchObject({ k: 'a', n: 1 });
      const upserted = await t.db.command({
        findAndModify: 'fam',
        query: { k: 'b' },
        update: { $set: { n: 0 } },
        upsert: true,
        new: true,
      });
      expect(upserted.lastErrorObject.updatedExisting).toBe(false);
      expect(upserted.lastErrorObject.upserted).toBeDefined();
      expect(upserted.value).toMatchObject({ k: 'b', n: 0 });
      const missing = await t.db.command({ findAndModify: 'fam', query: { k: 'zzz' }, update: { $set: { n: 0 } } });
      expect(missing).toMatchObject({ lastErrorObject: { n: 0, updatedExisting: false }, value: null });
      const removed = await t.db.command({ findAndModify: 'fam', query: { k: 'b' }, remove: true });
      expect(removed).toMatchObject({ lastErrorObject: { n: 1 }, value: { k: 'b', n: 0 } });
      expect(
        (await serverError(t.db.command({ findAndModify: 'fam', query: {}, remove: true, update: { $set: { a: 1 } } })))
          .code,
      ).toBe(9);
    });

    it('works through mongoose findOneAndUpdate / findOneAndDelete', async () => {
      const Counter = t.conn.model(
        'Counter',
        new mongoose.Schema({ name: { type: String, unique: true }, seq: Number }),
      );
      await Counter.init();
      const first = await Counter.findOneAndUpdate(
        { name: 'orders' },
        { $inc: { seq: 1 } },
        { upsert: true, returnDocument: 'after' },
      ).lean();
      expect(first?.seq).toBe(1);
      const second = await Counter.findOneAndUpdate(
        { name: 'orders' },
        { $inc: { seq: 1 } },
        { returnDocument: 'after' },
      ).lean();
      expect(second?.seq).toBe(2);
      const before = await Counter.findOneAndUpdate({ name: 'orders' }, { $inc: { seq: 1 } }).lean();
      expect(before?.seq).toBe(2);
      const deleted = await Counter.findOneAndDelete({ name: 'orders' }).lean();
      expect(deleted?.seq).toBe(3);
      const dupErr = await Counter.create({ name: 'x', seq: 1 })
        .then(() => Counter.findOneAndUpdate({ name: 'y' }, { $set: { name: 'x' } }, { upsert: true }))
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect((dupErr as MongoServerError).code).toBe(11000);
    });
  });

  describe('explain', () => {
    beforeAll(async () => {
      const c = t.db.collection('events');
      await c.createIndex({ tenant: 1, ts: -1 });
      await c.createIndex({ ref: 1 }, { unique: true });
      await c.insertMany(
        Array.from({ length: 50 }, (_, i) => ({
          tenant: `t${i % 5}`,
          ts: new Date(Date.UTC(2024, 0, 1 + i)),
          ref: i,
          kind: i % 2 ? 'a' : 'b',
        })),
      );
    });

    it('find on an indexed leading field uses IXSCAN with the index name', async () => {
      const c = t.db.collection('events');
      const eq = planSummary(
        await c
          .find({ tenant: 't1', ts: { $gte: new Date(Date.UTC(2024, 0, 10)) } })
          .sort({ ts: -1 })
          .explain('executionStats'),
      );
      expect(eq.stages).toContain('IXSCAN');
      expect(eq.indexNames).toContain('tenant_1_ts_-1');
      const unique = await c.find({ ref: 7 }).explain('executionStats');
      expect(planSummary(unique).indexNames).toContain('ref_1');
      expect(unique.executionStats.nReturned).toBe(1);
      expect(unique.executionStats.totalDocsExamined).toBe(1);
      const range = planSummary(await c.find({ ref: { $gte: 10, $lt: 12 } }).explain());
      expect(range.stages).toContain('IXSCAN');
    });

    it('$or whose branches are indexed reads each branch through its index (OR of IXSCANs)', async () => {
      const c = t.db.collection('events');
      const filter = {
        tenant: 't1',
        $or: [{ ts: { $lt: new Date(Date.UTC(2024, 0, 5)) } }, { ts: { $gte: new Date(Date.UTC(2024, 1, 10)) } }],
      };
      const explained = await c.find(filter).explain('executionStats');
      const plan = planSummary(explained);
      expect(plan.stages).toContain('IXSCAN');
      expect(plan.stages).not.toContain('COLLSCAN');
      // tenant t1 is i = 1, 6, 11, …, 46: Jan 2, then Feb 11, 16: three documents, each once.
      const refs = (await c.find(filter).toArray()).map((d) => d.ref).sort((a, b) => a - b);
      expect(refs).toEqual([1, 41, 46]);
      // At most the tenant's ten documents, never the 50 of a collection scan.
      expect(explained.executionStats.totalDocsExamined).toBeLessThanOrEqual(10);
    });

    it('find on an unindexed field is a COLLSCAN', async () => {
      const plan = planSummary(await t.db.collection('events').find({ kind: 'a' }).explain());
      expect(plan.stages).toContain('COLLSCAN');
      expect(plan.stages).not.toContain('IXSCAN');
    });

    it('aggregate explain names the index of a leading $match', async () => {
      const explained = await t.db
        .collection('events')
        .aggregate([{ $match: { tenant: 't2' } }, { $group: { _id: '$kind', n: { $sum: 1 } } }])
        .explain('queryPlanner');
      const plan = planSummary(explained);
      expect(plan.stages).toContain('IXSCAN');
      expect(plan.indexNames).toContain('tenant_1_ts_-1');
      const scan = planSummary(
        await t.db
          .collection('events')
          .aggregate([{ $match: { kind: 'a' } }])
          .explain('queryPlanner'),
      );
      expect(scan.stages).toContain('COLLSCAN');
    });

    it('mongoose Query#explain works too', async () => {
      const Event = t.conn.model(
        'Event',
        new mongoose.Schema({ tenant: String, ts: Date, ref: Number, kind: String }),
        'events',
      );
      const explained = await Event.find({ tenant: 't3' }).explain('queryPlanner');
      expect(planSummary(explained).indexNames).toContain('tenant_1_ts_-1');
    });
  });
});
