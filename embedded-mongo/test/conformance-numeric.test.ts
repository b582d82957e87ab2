/**
 * Conformance suite, part 4: BSON number types. MongoDB keeps int32, int64 and double apart
 * (a whole-number double stays a double, a long stays a long) and `$inc`/`$mul` keep or widen
 * them by fixed rules, while queries, sorts and indexes compare them by value. Documents are
 * read back with `promoteValues: false`, so the driver shows the type of every number.
 * The same file runs on real MongoDB when one is available (see targets.ts).
 */
import { Double, Long, type Document } from 'mongodb';
import { Schema } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { codeOf, typed } from './number-types.ts';
import { useTargetConnections } from './target-connections.ts';
import { conformanceTargets } from './targets.ts';

const targets = conformanceTargets('conformance-numeric');

describe.each(targets)('number types on $name', (target) => {
  const t = useTargetConnections(target, 'num');
  const raw = { promoteValues: false } as const;

  it('a whole-number double stays a double, a long stays a long', async () => {
    const c = t.db.collection('roundtrip');
    await c.insertOne({ _id: 'a' as never, d: new Double(5), i: 5, f: 5.5, l: Long.fromNumber(5), z: new Double(0) });
    expect(typed(await c.findOne({ _id: 'a' as never }, raw))).toEqual({
      d: 'Double:5',
      i: 'Int32:5',
      f: 'Double:5.5',
      l: 'Long:5',
      z: 'Double:0',
    });
    expect(await c.countDocuments({ d: { $type: 'double' } })).toBe(1);
    expect(await c.countDocuments({ l: { $type: 'long' } })).toBe(1);
    expect(await c.countDocuments({ i: { $type: 'int' } })).toBe(1);
    // A projection and a find-like pipeline hand the stored types back too.
    expect(typed(await c.findOne({}, { ...raw, projection: { d: 1, l: 1 } }))).toEqual({ d: 'Double:5', l: 'Long:5' });
    const [agg] = await c.aggregate([{ $match: { d: 5 } }, { $sort: { _id: 1 } }], raw).toArray();
    expect(typed(agg ?? null)).toMatchObject({ d: 'Double:5', l: 'Long:5' });
    // The promoting default still reads JS numbers, and so does mongoose (all the hub sees).
    expect(await c.findOne({}, { projection: { _id: 0, d: 1, l: 1 } })).toEqual({ d: 5, l: 5 });
    const schema = new Schema({ _id: String, d: Number, l: Number, z: Number }, { collection: 'roundtrip' });
    const viaMongoose = await t.conn.model('NumRoundtrip', schema).findById('a').lean();
    expect(viaMongoose).toMatchObject({ d: 5, l: 5, z: 0 });
    expect([viaMongoose?.d, viaMongoose?.l].map((v) => typeof v)).toEqual(['number', 'number']);
  });

  it('numbers of different types compare by value in queries, sorts and indexes', async () => {
    const c = t.db.collection('compare');
    await c.createIndex({ v: 1 });
    await c.insertMany([
      { _id: 1, v: 5 },
      { _id: 2, v: Long.fromNumber(5) },
      { _id: 3, v: new Double(5) },
      { _id: 4, v: Long.fromNumber(3) },
      { _id: 5, v: new Double(7) },
    ] as never[]);
    const ids = async (filter: Document, hint?: Document) =>
      (
        await c
          .find(filter, hint ? { hint } : {})
          .sort({ _id: 1 })
          .toArray()
      ).map((d) => d._id);
    expect(await ids({ v: 5 })).toEqual([1, 2, 3]);
    expect(await ids({ v: new Double(5) }, { v: 1 })).toEqual([1, 2, 3]);
    expect(await ids({ v: { $gt: Long.fromNumber(4), $lt: 6 } }, { v: 1 })).toEqual([1, 2, 3]);
    expect(await ids({ $expr: { $eq: [{ $type: '$v' }, 'double'] } })).toEqual([3, 5]);
    const sorted = await c.find({}).sort({ v: -1, _id: 1 }).toArray();
    expect(sorted.map((d) => d._id)).toEqual([5, 1, 2, 3, 4]);
    expect(await c.countDocuments({ v: { $gte: 5 } })).toBe(4);
    const u = t.db.collection('uniq');
    await u.createIndex({ v: 1 }, { unique: true });
    await u.insertOne({ v: 5 });
    expect(await codeOf(u.insertOne({ v: Long.fromNumber(5) }))).toBe(11000);
    expect(await codeOf(u.insertOne({ v: new Double(5) }))).toBe(11000);
  });

  it('$inc: int32 stays int32, widens to long past 2^31-1; long stays long; a double stays a double', async () => {
    const c = t.db.collection('inc');
    await c.insertOne({ _id: 1, i: 2147483646, l: Long.fromNumber(5), d: 2.5, w: new Double(4), s: 1 } as never);
    await c.updateOne({ _id: 1 as never }, { $inc: { i: 1, l: 1, d: 2.5, w: 1, s: Long.fromNumber(1) } });
    expect(typed(await c.findOne({ _id: 1 as never }, raw))).toMatchObject({
      i: 'Int32:2147483647',
      l: 'Long:6',
      d: 'Double:5',
      w: 'Double:5',
      s: 'Long:2',
    });
    // One plain `$inc` at a time takes the embedded server's fast path: same rules.
    await c.updateOne({ _id: 1 as never }, { $inc: { i: 1 } });
    await c.updateOne({ _id: 1 as never }, { $inc: { h: 0.5 } });
    await c.updateOne({ _id: 1 as never }, { $inc: { h: 1.5 } });
    await c.updateOne({ _id: 1 as never }, { $inc: { s: new Double(1) } });
    expect(typed(await c.findOne({ _id: 1 as never }, raw))).toMatchObject({
      i: 'Long:2147483648',
      h: 'Double:2',
      s: 'Double:3',
    });
    expect(await c.countDocuments({ i: { $type: 'long' } })).toBe(1);
    // Below the int32 range too, and through a dotted path (the general update path).
    await c.updateOne({ _id: 1 as never }, { $set: { n: { m: -2147483648 } } });
    await c.updateOne({ _id: 1 as never }, { $inc: { 'n.m': -1 } });
    expect(typed((await c.findOne({ _id: 1 as never }, raw))?.n)).toEqual({ m: 'Long:-2147483649' });
  });

  it('$inc of a missing field sets the increment with its own type; int64 overflow is refused', async () => {
    const c = t.db.collection('incmissing');
    await c.insertOne({ _id: 1, max: Long.MAX_VALUE } as never);
    await c.updateOne({ _id: 1 as never }, { $inc: { a: Long.fromNumber(3), b: new Double(2), c: 4 } });
    expect(typed(await c.findOne({ _id: 1 as never }, raw))).toMatchObject({
      a: 'Long:3',
      b: 'Double:2',
      c: 'Int32:4',
    });
    expect(await codeOf(c.updateOne({ _id: 1 as never }, { $inc: { max: 1 } }))).toBe(2);
    expect(await codeOf(c.updateOne({ _id: 1 as never }, { $inc: { c: Long.MAX_VALUE } }))).toBe(2);
    expect(typed(await c.findOne({ _id: 1 as never }, raw))).toMatchObject({ max: `Long:${Long.MAX_VALUE}` });
  });

  it('$mul keeps or widens types like $inc, and a missing field becomes a zero of the operand type', async () => {
    const c = t.db.collection('mul');
    await c.insertOne({ _id: 1, i: 3, big: 65536, l: Long.fromNumber(3), f: 3, w: new Double(3) } as never);
    await c.updateOne(
      { _id: 1 as never },
      { $mul: { i: 2, big: 65536, l: 2, f: 1.5, w: 2, zi: 2, zl: Long.fromNumber(2), zd: new Double(2.5) } },
    );
    expect(typed(await c.findOne({ _id: 1 as never }, raw))).toMatchObject({
      i: 'Int32:6',
      big: 'Long:4294967296',
      l: 'Long:6',
      f: 'Double:4.5',
      w: 'Double:6',
      zi: 'Int32:0',
      zl: 'Long:0',
      zd: 'Double:0',
    });
    expect(await codeOf(c.updateOne({ _id: 1 as never }, { $mul: { l: Long.MAX_VALUE } }))).toBe(2);
  });

  it('a change of type alone is a modification; $max/$min compare across types by value', async () => {
    const c = t.db.collection('modified');
    await c.insertOne({ _id: 1, w: new Double(5), l: Long.fromNumber(5) } as never);
    const same = await c.updateOne({ _id: 1 as never }, { $max: { w: 5 }, $min: { l: 5 } });
    expect(same.modifiedCount).toBe(0);
    expect(typed(await c.findOne({ _id: 1 as never }, raw))).toMatchObject({ w: 'Double:5', l: 'Long:5' });
    expect((await c.updateOne({ _id: 1 as never }, { $set: { w: 5 } })).modifiedCount).toBe(1);
    await c.updateOne({ _id: 1 as never }, { $max: { l: 7 }, $min: { w: new Double(2) } });
    expect(typed(await c.findOne({ _id: 1 as never }, raw))).toMatchObject({ w: 'Double:2', l: 'Int32:7' });
  });

  it('an upsert seeds the stored types from the filter; findAndModify returns them', async () => {
    const c = t.db.collection('upsert');
    await c.updateOne({ k: Long.fromNumber(9) }, { $inc: { n: new Double(1) } }, { upsert: true });
    const after = await c.findOneAndUpdate({ k: 9 }, { $inc: { n: 1 } }, { ...raw, returnDocument: 'after' });
    expect(typed(after)).toMatchObject({ k: 'Long:9', n: 'Double:2' });
  });
});
