/**
 * Conformance suite, part 3: cases a run of MongoDB's CRUD specification tests found the
 * embedded server answering differently. Each case passes when the answer is MongoDB's, or,
 * for options the embedded server does not implement, when it refuses loudly with
 * NotImplemented (238) instead of ignoring them. The same file runs on real MongoDB when one
 * is available (see targets.ts), where only MongoDB's answer passes.
 */
import { describe, expect, it } from 'vitest';
import { codeOf } from './number-types.ts';
import { useTargetConnections } from './target-connections.ts';
import { conformanceTargets } from './targets.ts';

const targets = conformanceTargets('conformance-fidelity');

describe.each(targets)('fidelity on $name', (target) => {
  const t = useTargetConnections(target, 'fid');

  it('an upsert whose filter is `_id: null` stores `_id: null`', async () => {
    const c = t.db.collection('nullid');
    const r = await c.updateOne({ _id: null } as never, { $set: { x: 1 } }, { upsert: true });
    expect(r.upsertedId).toBeNull();
    expect(await c.findOne({ _id: null } as never)).toEqual({ _id: null, x: 1 });
  });

  it('refuses a `$`-prefixed field inside `_id` (DollarPrefixedFieldName)', async () => {
    const c = t.db.collection('dollarid');
    expect(await codeOf(c.insertOne({ _id: { $bad: 1 } } as never))).toBe(52);
    expect(await codeOf(c.insertOne({ _id: { ok: { $deep: 1 } } } as never))).toBe(52);
    expect(await c.countDocuments()).toBe(0);
  });

  it('refuses an array filter whose identifier the update does not use (FailedToParse)', async () => {
    const c = t.db.collection('arrayfilters');
    await c.insertOne({ _id: 1 as never, a: [1, 2, 3] });
    const unused = c.updateOne({ _id: 1 as never }, { $set: { 'a.$[x]': 0 } }, { arrayFilters: [{ x: 2 }, { y: 1 }] });
    expect(await codeOf(unused)).toBe(9);
    await c.updateOne({ _id: 1 as never }, { $set: { 'a.$[x]': 0 } }, { arrayFilters: [{ x: 2 }] });
    expect(await c.findOne({ _id: 1 as never })).toEqual({ _id: 1, a: [1, 0, 3] });
  });

  it('a pipeline update with $replaceWith and $setField', async () => {
    const c = t.db.collection('setfield');
    await c.insertOne({ _id: 1 as never, a: 1 });
    await c.updateOne({ _id: 1 as never }, [
      { $replaceWith: { $setField: { field: 'b.c', input: '$$ROOT', value: 2 } } },
    ]);
    expect(await c.findOne({ _id: 1 as never })).toEqual({ _id: 1, a: 1, 'b.c': 2 });
  });

  it('collation and let are honoured, or refused with NotImplemented, never ignored', async () => {
    const c = t.db.collection('collation');
    await c.insertMany([{ s: 'a' }, { s: 'A' }, { s: 'b' }]);
    const strength = { locale: 'en', strength: 2 };
    const folded = c.countDocuments({ s: 'a' }, { collation: strength });
    const code = await codeOf(folded);
    if (code === null) expect(await c.countDocuments({ s: 'a' }, { collation: strength })).toBe(2);
    else expect(code).toBe(238);
    const withLet = c.find({ $expr: { $eq: ['$s', '$$want'] } }, { let: { want: 'b' } }).toArray();
    const letCode = await codeOf(withLet);
    if (letCode === null)
      expect((await c.find({ $expr: { $eq: ['$s', '$$want'] } }, { let: { want: 'b' } }).toArray()).length).toBe(1);
    else expect(letCode).toBe(238);
  });

  it('maxTimeMS is a limit, not a comment: a read past it fails with MaxTimeMSExpired', async () => {
    const c = t.db.collection('maxtime');
    await c.insertMany(Array.from({ length: 20_000 }, (_, i) => ({ i, s: `v${i % 977}` })));
    // A sort and group over 20k documents takes well over 1 ms on any server.
    const slow = c
      .aggregate([{ $sort: { s: -1, i: 1 } }, { $group: { _id: '$s', n: { $sum: 1 }, all: { $push: '$i' } } }], {
        maxTimeMS: 1,
        allowDiskUse: false,
      })
      .toArray();
    expect(await codeOf(slow)).toBe(50);
    expect(await codeOf(c.find({}, { maxTimeMS: -1 } as never).toArray())).toBe(2);
    expect(await c.countDocuments({}, { maxTimeMS: 60_000 })).toBe(20_000);
  });
  it('a projected cursor hands out every document once, projected, across batches', async () => {
    const c = t.db.collection('projected');
    await c.insertMany(Array.from({ length: 2_500 }, (_, i) => ({ i, keep: `k${i}`, drop: 'x'.repeat(50) })));
    const cursor = c.find({}, { sort: { i: 1 }, projection: { drop: 0, _id: 0 }, batchSize: 700 });
    const first = await cursor.next();
    // The cursor is a snapshot: a change made after it opened does not show.
    await c.updateMany({}, { $set: { keep: 'changed' } });
    const rest = await cursor.toArray();
    const all = [first, ...rest];
    expect(all).toHaveLength(2_500);
    expect(all.every((d, i) => d?.i === i && d.keep === `k${i}` && !('drop' in d) && !('_id' in d))).toBe(true);
  });

  it('an invalid projection fails when the cursor opens, even with an empty first batch', async () => {
    const c = t.db.collection('badprojection');
    await c.insertMany([{ a: 1, b: 1 }]);
    // Mixing inclusion and exclusion: Location31254 (31253 before MongoDB 4.4 wording changed).
    const code = await codeOf(c.find({}, { projection: { a: 1, b: 0 }, batchSize: 0 }).toArray());
    expect([31253, 31254]).toContain(code);
  });
  it('$push with $each, $sort and $slice keeps a sorted window, on a new field too', async () => {
    const c = t.db.collection<{ _id: number; w?: number[]; fresh?: number[] }>('pushwindow');
    await c.insertOne({ _id: 1, w: [5, 1, 7] });
    await c.updateOne({ _id: 1 }, { $push: { w: { $each: [9, 4], $sort: 1, $slice: -3 } } });
    await c.updateOne({ _id: 1 }, { $push: { fresh: { $each: [3, 1, 2], $sort: 1, $slice: -2 } } });
    expect(await c.findOne({ _id: 1 })).toEqual({ _id: 1, w: [5, 7, 9], fresh: [2, 3] });
  });
  it('plain projections: inclusion, exclusion and _id, in the document order', async () => {
    const c = t.db.collection('plainprojection');
    await c.insertOne({ _id: 1 as never, a: 1, b: { x: 2 }, c: [3] });
    const one = (projection: Record<string, unknown>) => c.findOne({}, { projection });
    expect(await one({ _id: 1 })).toEqual({ _id: 1 });
    expect(await one({ _id: 0 })).toEqual({ a: 1, b: { x: 2 }, c: [3] });
    expect(Object.keys((await one({ c: 1, a: 1 }))!)).toEqual(['_id', 'a', 'c']);
    expect(await one({ a: 0, _id: 0 })).toEqual({ b: { x: 2 }, c: [3] });
    expect(await one({ b: true, _id: false })).toEqual({ b: { x: 2 } });
    expect(await one({ missing: 1 })).toEqual({ _id: 1 });
  });
});
