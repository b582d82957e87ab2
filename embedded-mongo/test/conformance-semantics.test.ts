/**
 * Conformance suite, part 2: query/update/aggregation semantics where mingo
 * alone differs from MongoDB (dates with timezones, $type names,
 * $setOnInsert, arrayFilters, ObjectId comparison) and BSON type round-trips.
 * Expected values are MongoDB's; the same assertions run on real MongoDB
 * when one is available (see targets.ts).
 */
import { Binary, Decimal128, Long, ObjectId, UUID } from 'mongodb';
import mongoose from 'mongoose';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTargetConnections } from './target-connections.ts';
import { conformanceTargets } from './targets.ts';

const targets = conformanceTargets('conformance-semantics');

describe.each(targets)('semantics on $name', (target) => {
  const t = useTargetConnections(target, 'sem');

  describe('BSON types', () => {
    it('round-trip ObjectId, Date, Int32/Double/Long, Decimal128, Binary/UUID, null, regex, nesting', async () => {
      const original = {
        _id: new ObjectId(),
        when: new Date('2024-02-29T12:34:56.789Z'),
        int: 42,
        dbl: 4.25,
        bigInt: 2 ** 40,
        long: Long.fromString('9223372036854775807'),
        negLong: Long.fromString('-9007199254740993'),
        dec: Decimal128.fromString('1234.5678901234567890'),
        bin: new Binary(Buffer.from([0, 1, 2, 255])),
        uuid: new UUID('0f8fad5b-d9cb-469f-a165-70867728950e'),
        nul: null,
        bool: false,
        str: 'héllo ✓',
        re: /ab+c/i,
        arr: [1, 'a', null, [2, 3], { x: 1 }],
        nested: { deep: { list: [{ y: new Date(0) }] } },
      };
      await t.db.collection('types').insertOne(original);
      const back = await t.db.collection('types').findOne({ _id: original._id });
      expect(back).not.toBeNull();
      const { uuid, ...rest } = back!;
      const { uuid: origUuid, ...origRest } = original;
      expect(rest).toEqual(origRest);
      expect(Buffer.from((uuid as Binary).buffer).toString('hex')).toBe(Buffer.from(origUuid.buffer).toString('hex'));
      // Querying by each typed value finds the document again.
      for (const field of ['when', 'long', 'negLong', 'dec', 'bin', 'uuid', 'nul', 'bigInt'] as const) {
        expect(await t.db.collection('types').countDocuments({ [field]: original[field] }), field).toBe(1);
      }
    });

    it('$type query operator and expression use MongoDB type names', async () => {
      const c = t.db.collection('typed');
      await c.insertMany([
        { k: 'oid', v: new ObjectId() },
        { k: 'str', v: 'x' },
        { k: 'int', v: 1 },
        { k: 'dbl', v: 1.5 },
        { k: 'long', v: Long.fromString('9007199254740993') },
        { k: 'dec', v: Decimal128.fromString('2.5') },
        { k: 'date', v: new Date() },
        { k: 'bin', v: new Binary(Buffer.from('ab')) },
        { k: 'null', v: null },
        { k: 'bool', v: true },
        { k: 'arr', v: [1] },
        { k: 'obj', v: { a: 1 } },
        { k: 'regex', v: /x/ },
        { k: 'missing' },
      ]);
      const keys = async (filter: object): Promise<string[]> =>
        (await c.find(filter).sort({ k: 1 }).toArray()).map((d) => d.k as string);
      expect(await keys({ v: { $type: 'objectId' } })).toEqual(['oid']);
      expect(await keys({ v: { $type: 7 } })).toEqual(['oid']);
      expect(await keys({ v: { $type: 'number' } })).toEqual(['arr', 'dbl', 'dec', 'int', 'long']);
      expect(await keys({ v: { $type: ['string', 'date'] } })).toEqual(['date', 'str']);
      expect(await keys({ v: { $type: 'binData' } })).toEqual(['bin']);
      expect(await keys({ v: { $type: 'null' } })).toEqual(['null']);
      expect(await keys({ v: { $type: 'array' } })).toEqual(['arr']);
      const names = await c
        .aggregate([{ $project: { _id: 0, k: 1, t: { $type: '$v' } } }, { $sort: { k: 1 } }])
        .toArray();
      expect(Object.fromEntries(names.map((d) => [d.k, d.t]))).toEqual({
        arr: 'array',
        bin: 'binData',
        bool: 'bool',
        date: 'date',
        dbl: 'double',
        dec: 'decimal',
        int: 'int',
        long: 'long',
        missing: 'missing',
        null: 'null',
        obj: 'object',
        oid: 'objectId',
        regex: 'regex',
        str: 'string',
      });
    });

    it('ObjectIds compare by value: $in, $gt pagination, sort, group, lookup', async () => {
      const ids = Array.from({ length: 6 }, (_, i) => ObjectId.createFromTime(1_700_000_000 + i));
      const c = t.db.collection('oids');
      await c.insertMany(ids.map((_id, i) => ({ _id, i, owner: ids[i % 2] })));
      const copy = (id: ObjectId): ObjectId => new ObjectId(id.toHexString());
      expect(await c.countDocuments({ _id: { $in: [copy(ids[1]!), copy(ids[4]!)] } })).toBe(2);
      expect((await c.find({ _id: { $gt: copy(ids[3]!) } }).toArray()).map((d) => d.i)).toEqual([4, 5]);
      expect((await c.find().sort({ _id: -1 }).limit(2).toArray()).map((d) => d.i)).toEqual([5, 4]);
      const groups = await c
        .aggregate([{ $group: { _id: '$owner', n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
        .toArray();
      expect(groups.map((g) => [g._id.toHexString(), g.n])).toEqual([
        [ids[0]!.toHexString(), 3],
        [ids[1]!.toHexString(), 3],
      ]);
      const joined = await c
        .aggregate([
          { $match: { i: 2 } },
          { $lookup: { from: 'oids', localField: 'owner', foreignField: '_id', as: 'o' } },
          { $project: { _id: 0, oi: { $first: '$o.i' } } },
        ])
        .toArray();
      expect(joined).toEqual([{ oi: 0 }]);
    });
  });

  describe('dates with timezones', () => {
    const d1 = new Date('2024-03-10T23:30:00Z'); // Sunday 19:30 EDT (US DST began that morning)
    const d2 = new Date('2024-03-11T01:30:00Z'); // Sunday 21:30 EDT
    const d3 = new Date('2024-11-03T05:30:00Z'); // 01:30 EDT, before US DST ends
    const d4 = new Date('2024-11-03T06:30:00Z'); // 01:30 EST, after
    const d5 = new Date('2024-03-31T22:30:00Z'); // 00:30 CEST on April 1st in Berlin
    const d6 = new Date('2021-01-01T05:00:00Z'); // ISO week 53 of 2020

    beforeAll(async () => {
      await t.db.collection('dates').insertMany([d1, d2, d3, d4, d5, d6].map((d, i) => ({ i, d })));
    });

    const project = async (expr: object): Promise<unknown[]> =>
      (
        await t.db
          .collection('dates')
          .aggregate([{ $sort: { i: 1 } }, { $project: { _id: 0, v: expr } }])
          .toArray()
      ).map((r) => r.v);

    it('$dateTrunc truncates in local time', async () => {
      expect(await project({ $dateTrunc: { date: '$d', unit: 'day', timezone: 'America/New_York' } })).toEqual([
        new Date('2024-03-10T05:00:00Z'),
        new Date('2024-03-10T05:00:00Z'),
        new Date('2024-11-03T04:00:00Z'),
        new Date('2024-11-03T04:00:00Z'),
        new Date('2024-03-31T04:00:00Z'),
        new Date('2021-01-01T05:00:00Z'),
      ]);
      expect((await project({ $dateTrunc: { date: '$d', unit: 'hour', timezone: 'Asia/Kolkata' } }))[0]).toEqual(
        new Date('2024-03-10T23:30:00Z'),
      );
      expect((await project({ $dateTrunc: { date: '$d', unit: 'month', timezone: 'Europe/Berlin' } }))[4]).toEqual(
        new Date('2024-03-31T22:00:00Z'),
      );
      expect((await project({ $dateTrunc: { date: '$d', unit: 'week', timezone: 'America/New_York' } }))[1]).toEqual(
        new Date('2024-03-10T05:00:00Z'),
      );
      expect(
        (
          await project({
            $dateTrunc: { date: '$d', unit: 'week', startOfWeek: 'monday', timezone: 'America/New_York' },
          })
        )[1],
      ).toEqual(new Date('2024-03-04T05:00:00Z'));
      expect((await project({ $dateTrunc: { date: '$d', unit: 'hour', binSize: 6, timezone: '+05:30' } }))[0]).toEqual(
        new Date('2024-03-10T18:30:00Z'),
      );
      expect((await project({ $dateTrunc: { date: '$d', unit: 'day' } }))[1]).toEqual(new Date('2024-03-11T00:00:00Z'));
    });

    it('$dateToString formats in local time with offsets', async () => {
      expect(
        await project({ $dateToString: { date: '$d', format: '%Y-%m-%d %H:%M:%S %z', timezone: 'America/New_York' } }),
      ).toEqual([
        '2024-03-10 19:30:00 -0400',
        '2024-03-10 21:30:00 -0400',
        '2024-11-03 01:30:00 -0400',
        '2024-11-03 01:30:00 -0500',
        '2024-03-31 18:30:00 -0400',
        '2021-01-01 00:00:00 -0500',
      ]);
      expect(
        (
          await project({ $dateToString: { date: '$d', format: '%j %U %V %G %u %w %Z', timezone: 'America/New_York' } })
        )[0],
      ).toBe('070 10 10 2024 7 0 -240');
      expect((await project({ $dateToString: { date: '$d', format: '%Y-%m-%dT%H:%M', timezone: '+05:30' } }))[0]).toBe(
        '2024-03-11T05:00',
      );
      expect((await project({ $dateToString: { date: '$d', format: '%G-W%V' } }))[5]).toBe('2020-W53');
      expect((await project({ $dateToString: { date: '$d' } }))[0]).toBe('2024-03-10T23:30:00.000Z');
      expect((await project({ $dateToString: { date: '$missing', onNull: 'none' } }))[0]).toBe('none');
    });

    it('date part operators honour timezones', async () => {
      expect((await project({ $isoWeekYear: '$d' }))[5]).toBe(2020);
      expect((await project({ $hour: { date: '$d', timezone: 'Asia/Kolkata' } }))[0]).toBe(5);
      expect((await project({ $dayOfMonth: { date: '$d', timezone: 'America/New_York' } }))[1]).toBe(10);
      expect((await project({ $month: { date: '$d', timezone: 'Europe/Berlin' } }))[4]).toBe(4);
    });

    it('groups by local day (the history feature pattern)', async () => {
      const rows = await t.db
        .collection('dates')
        .aggregate([
          { $match: { i: { $lte: 3 } } },
          {
            $group: {
              _id: { $dateToString: { date: '$d', format: '%Y-%m-%d', timezone: 'America/New_York' } },
              n: { $sum: 1 },
            },
          },
          { $sort: { _id: 1 } },
        ])
        .toArray();
      expect(rows).toEqual([
        { _id: '2024-03-10', n: 2 },
        { _id: '2024-11-03', n: 2 },
      ]);
    });
  });

  describe('updates', () => {
    it('$setOnInsert applies only when the upsert inserts; the query seeds the document', async () => {
      const c = t.db.collection('upserts');
      const u = { $inc: { n: 1 }, $setOnInsert: { createdBy: 'first' }, $set: { last: 'x' } };
      const first = await c.updateOne({ tenant: 't', key: 'k' }, u, { upsert: true });
      expect(first.upsertedCount).toBe(1);
      await c.updateOne({ tenant: 't', key: 'k' }, { ...u, $setOnInsert: { createdBy: 'second' } }, { upsert: true });
      const doc = await c.findOne({ tenant: 't', key: 'k' }, { projection: { _id: 0 } });
      expect(doc).toEqual({ tenant: 't', key: 'k', n: 2, createdBy: 'first', last: 'x' });
      await c.updateOne(
        { _id: 'fixed' as never, $and: [{ a: 1 }, { b: { $eq: 2 } }] },
        { $setOnInsert: { c: 3 } },
        { upsert: true },
      );
      expect(await c.findOne({ _id: 'fixed' as never })).toEqual({ _id: 'fixed', a: 1, b: 2, c: 3 });
    });

    it('arrayFilters, positional $, $push/$addToSet/$pull/$unset/$rename/$min/$max/$mul/$currentDate', async () => {
      const c = t.db.collection('arrays');
      const member = new ObjectId();
      await c.insertOne({
        _id: 1 as never,
        grades: [{ s: 50 }, { s: 70 }, { s: 90 }],
        items: [
          { sku: 'a', q: 1 },
          { sku: 'b', q: 1 },
        ],
        tags: ['x'],
        members: [member],
        old: 1,
        lo: 5,
        hi: 5,
        m: 3,
      });
      await c.updateOne(
        { _id: 1 as never },
        { $set: { 'grades.$[g].pass': true } },
        { arrayFilters: [{ 'g.s': { $gte: 60 } }] },
      );
      await c.updateOne({ _id: 1 as never, 'items.sku': 'b' }, { $inc: { 'items.$.q': 5 } });
      await c.updateOne(
        { _id: 1 as never },
        {
          $push: { tags: { $each: ['z', 'y'], $sort: 1, $slice: 2 } as never },
          $addToSet: { members: new ObjectId(member.toHexString()) },
          $unset: { m: '' },
          $rename: { old: 'renamed' },
          $min: { lo: 1 },
          $max: { hi: 9 },
          $currentDate: { touched: true },
        },
      );
      await c.updateOne({ _id: 1 as never }, { $pull: { grades: { s: { $lt: 60 } } as never }, $mul: { hi: 2 } });
      const doc = await c.findOne({ _id: 1 as never });
      expect(doc).toMatchObject({
        grades: [
          { s: 70, pass: true },
          { s: 90, pass: true },
        ],
        items: [
          { sku: 'a', q: 1 },
          { sku: 'b', q: 6 },
        ],
        tags: ['x', 'y'],
        renamed: 1,
        lo: 1,
        hi: 18,
      });
      expect(doc!.members).toHaveLength(1);
      expect(doc!.m).toBeUndefined();
      expect(doc!.touched).toBeInstanceOf(Date);
    });

    it('replacement, pipeline updates, nModified and _id immutability', async () => {
      const c = t.db.collection('replace');
      await c.insertOne({ _id: 'r' as never, a: 1, b: 2 });
      const same = await c.updateOne({ _id: 'r' as never }, { $set: { a: 1 } });
      expect(same).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
      await c.replaceOne({ _id: 'r' as never }, { z: 26 });
      expect(await c.findOne({ _id: 'r' as never })).toEqual({ _id: 'r', z: 26 });
      await c.updateOne({ _id: 'r' as never }, [{ $set: { double: { $multiply: ['$z', 2] } } }]);
      expect((await c.findOne({ _id: 'r' as never }))?.double).toBe(52);
      const idChange = await t.db.command({
        update: 'replace',
        updates: [{ q: { _id: 'r' }, u: { $set: { _id: 'other' } } }],
      });
      expect(idChange.writeErrors[0].code).toBe(66);
      const replaceId = await t.db.command({
        update: 'replace',
        updates: [{ q: { _id: 'r' }, u: { _id: 'other', z: 1 } }],
      });
      expect(replaceId.writeErrors[0].code).toBe(66);
      const badInc = await t.db.command({
        update: 'replace',
        updates: [
          { q: { _id: 'r' }, u: { $inc: { z: 'x' } } },
          { q: { _id: 'r' }, u: { $inc: { missingOk: 1 } } },
        ],
      });
      expect(badInc.writeErrors[0]).toMatchObject({ index: 0, code: 14 });
      await t.db.collection('replace').updateOne({ _id: 'r' as never }, { $set: { s: 'text' } });
      const incString = await t.db.command({
        update: 'replace',
        updates: [{ q: { _id: 'r' }, u: { $inc: { s: 1 } } }],
      });
      expect(incString.writeErrors[0].code).toBe(14);
      const unknownOp = await t.db.command({
        update: 'replace',
        updates: [{ q: { _id: 'r' }, u: { $frob: { a: 1 } } }],
      });
      expect(unknownOp.writeErrors[0].code).toBe(9);
    });
  });

  describe('mongoose application patterns', () => {
    it('populate, timestamps, bulkWrite, updateMany, deleteMany, lean ids', async () => {
      const Tenant = t.conn.model(
        'Tenant',
        new mongoose.Schema({ slug: { type: String, unique: true } }, { timestamps: true }),
      );
      const Visit = t.conn.model(
        'Visit',
        new mongoose.Schema(
          { tenant: { type: mongoose.Schema.Types.ObjectId, ref: 'Tenant', index: true }, path: String, at: Date },
          { timestamps: true },
        ),
      );
      await Promise.all([Tenant.init(), Visit.init()]);
      const [acme, globex] = await Tenant.insertMany([{ slug: 'acme' }, { slug: 'globex' }]);
      await Visit.insertMany(
        Array.from({ length: 10 }, (_, i) => ({
          tenant: i % 2 ? acme!._id : globex!._id,
          path: `/p${i % 3}`,
          at: new Date(Date.UTC(2024, 0, 1, i)),
        })),
      );
      const populated = await Visit.find({ tenant: acme!._id }).sort({ at: 1 }).populate('tenant').lean();
      expect(populated).toHaveLength(5);
      expect((populated[0]!.tenant as unknown as { slug: string }).slug).toBe('acme');
      expect(populated[0]!.createdAt).toBeInstanceOf(Date);
      const res = await Visit.bulkWrite([
        { updateMany: { filter: { path: '/p0' }, update: { $set: { path: '/home' } } } },
        { deleteOne: { filter: { path: '/p1' } } },
        { insertOne: { document: { tenant: acme!._id, path: '/new', at: new Date() } } },
      ]);
      expect(res.modifiedCount).toBe(4);
      expect(res.deletedCount).toBe(1);
      expect(res.insertedCount).toBe(1);
      expect(
        (await Visit.updateMany({ tenant: globex!._id }, { $set: { flagged: true } }, { strict: false })).modifiedCount,
      ).toBe(5);
      expect((await Visit.deleteMany({ path: '/home' })).deletedCount).toBe(4);
      const byId = await Tenant.findById(acme!._id.toString()).lean();
      expect(byId?.slug).toBe('acme');
      const perTenant = await Visit.aggregate([{ $group: { _id: '$tenant', n: { $sum: 1 } } }, { $sort: { n: -1 } }]);
      expect(perTenant.reduce((s: number, r: { n: number }) => s + r.n, 0)).toBe(6);
    });
  });
});
