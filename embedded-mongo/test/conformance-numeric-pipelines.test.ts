/**
 * Conformance suite, part 5: BSON number types through aggregation pipelines and through
 * update operators that compare stored values. Stored types pass through a pipeline and
 * `$group` accumulates with MongoDB's types; where the embedded server does not compute an
 * answer it must refuse with NotImplemented (238). The same file runs on real MongoDB when
 * one is available (see targets.ts).
 */
import { Double, Long, type Document } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { codeOf, typed } from './number-types.ts';
import { useTargetConnections } from './target-connections.ts';
import { conformanceTargets } from './targets.ts';

const targets = conformanceTargets('conformance-numeric-pipelines');

describe.each(targets)('number types in pipelines on $name', (target) => {
  const t = useTargetConnections(target, 'numpipe');
  const raw = { promoteValues: false } as const;

  it('counts and groups over typed documents that read no typed field', async () => {
    const c = t.db.collection('group');
    await c.insertMany([{ g: 'a', l: Long.fromNumber(1) }, { g: 'a', l: Long.fromNumber(2) }, { g: 'b' }]);
    expect(await c.countDocuments({ g: 'a' })).toBe(2);
    const groups = await c.aggregate([{ $group: { _id: '$g', n: { $sum: 1 } } }, { $sort: { _id: 1 } }]).toArray();
    expect(groups).toEqual([
      { _id: 'a', n: 2 },
      { _id: 'b', n: 1 },
    ]);
    // Summing the longs: MongoDB's answer is a long; the embedded server may refuse instead.
    const sum = c.aggregate([{ $group: { _id: null, s: { $sum: '$l' } } }], raw).toArray();
    const code = await codeOf(sum);
    if (code === null) expect(typed((await sum)[0] ?? null)).toEqual({ s: 'Long:3' });
    else expect(code).toBe(238);
  });

  it('pipelines pass stored types through, and $group accumulates with MongoDB types', async () => {
    const c = t.db.collection('pipes');
    await c.insertMany([
      { _id: 1, g: 'a', w: new Double(2), l: Long.fromNumber(7), big: 2147483647, sub: { l: Long.fromNumber(1) } },
      { _id: 2, g: 'a', w: new Double(4), l: Long.fromNumber(1), big: 1, sub: { l: Long.fromNumber(2) } },
    ] as never[]);
    const stages = [{ $addFields: { tag: 'x' } }, { $project: { w: 1, l: 1, sub: 1, tag: 1 } }, { $sort: { _id: 1 } }];
    const passed = await c.aggregate(stages, raw).toArray();
    expect(passed.map(typed)).toEqual([
      { _id: 'Int32:1', w: 'Double:2', l: 'Long:7' },
      { _id: 'Int32:2', w: 'Double:4', l: 'Long:1' },
    ]);
    expect(typed(passed[0]?.sub)).toEqual({ l: 'Long:1' });
    const accumulators = {
      _id: '$g',
      w: { $sum: '$w' },
      l: { $sum: '$l' },
      big: { $sum: '$big' },
      n: { $sum: 1 },
      avg: { $avg: '$w' },
      first: { $first: '$l' },
      max: { $max: '$w' },
      all: { $push: '$l' },
    };
    const [g] = await c.aggregate([{ $sort: { _id: 1 } }, { $group: accumulators }], raw).toArray();
    expect(typed(g ?? null)).toEqual({
      w: 'Double:6',
      l: 'Long:8',
      big: 'Long:2147483648',
      n: 'Int32:2',
      avg: 'Double:3',
      first: 'Long:7',
      max: 'Double:4',
    });
    expect(Object.values(typed({ ...(g?.all as unknown[]) }))).toEqual(['Long:7', 'Long:1']);
    // Stages after a $group compare its sums by value and leave their types alone.
    const sums = [{ $group: { _id: '$g', l: { $sum: '$l' } } }, { $match: { l: { $gte: 8 } } }, { $sort: { l: -1 } }];
    expect((await c.aggregate(sums, raw).toArray()).map(typed)).toEqual([{ l: 'Long:8' }]);
    const refs = t.db.collection('refs');
    await refs.insertOne({ _id: 1, ref: 2 } as never);
    const lookup = { $lookup: { from: 'pipes', localField: 'ref', foreignField: '_id', as: 'j' } };
    const [joined] = await refs.aggregate([lookup], raw).toArray();
    expect(typed((joined?.j as Document[])[0] ?? null)).toMatchObject({ w: 'Double:4', l: 'Long:1' });
  });

  it('operators that compare stored numbers answer like MongoDB, or refuse (NotImplemented)', async () => {
    const c = t.db.collection('compares');
    const reset = async () => {
      await c.deleteMany({});
      await c.insertOne({ _id: 1, arr: [Long.fromNumber(5), 6], l: Long.fromNumber(1) } as never);
    };
    const doc = async () => typed({ arr: null, ...(await c.findOne({ _id: 1 as never }, raw)) });
    const cases: Array<[() => Promise<unknown>, (d: Record<string, string>) => void]> = [
      [
        () => c.updateOne({ _id: 1 as never }, { $addToSet: { arr: 5 } }),
        async () => expect((await c.findOne({}))?.arr).toEqual([5, 6]),
      ],
      [
        () => c.updateOne({ _id: 1 as never }, { $pull: { arr: 5 } as never }),
        async () => expect((await c.findOne({}))?.arr).toEqual([6]),
      ],
      [
        () => c.updateOne({ _id: 1 as never }, { $set: { 'arr.$[e]': 0 } }, { arrayFilters: [{ e: { $lt: 6 } }] }),
        async () => expect((await c.findOne({}))?.arr).toEqual([0, 6]),
      ],
      [() => c.updateOne({ _id: 1 as never }, [{ $set: { x: 1 } }]), (d) => expect(d).toMatchObject({ l: 'Long:1' })],
      [
        () => c.findOne({ _id: 1 as never }, { projection: { arr: { $elemMatch: { $lt: 6 } } } }),
        async () =>
          expect(await c.findOne({ _id: 1 as never }, { projection: { arr: { $elemMatch: { $lt: 6 } } } })).toEqual({
            _id: 1,
            arr: [5],
          }),
      ],
    ];
    for (const [run, check] of cases) {
      await reset();
      const code = await codeOf(run());
      if (code === null) await check(await doc());
      else expect(code).toBe(238);
    }
  });
});
