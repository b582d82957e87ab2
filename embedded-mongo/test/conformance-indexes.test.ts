/**
 * Conformance suite, part 3: indexed reads return exactly what a collection
 * scan returns (`hint: {$natural: 1}`), for equality, `$in`, ranges on
 * compound prefixes, multikey arrays, mixed types, null/missing and sparse
 * indexes – before and after many writes (which exercise the embedded
 * server's hash maps and its lazily built ordered view). Also checks that
 * explain reports tight scans for the history-style query.
 */
import { MongoClient, type Db, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceTargets, planSummary, uniqueDbName, type RunningTarget } from './targets.ts';

const targets = conformanceTargets('conformance-indexes');

/** Small deterministic PRNG so failures are reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);

/** Test documents use small integer ids so results compare easily. */
type EventDoc = { _id: number; [field: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- free-form test data

function makeDoc(rand: () => number, i: number): EventDoc {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const doc: EventDoc = {
    _id: i,
    tenant: pick(['t0', 't1', 't2', 't3']),
    ts: new Date(T0 + Math.floor(rand() * 30 * DAY)),
  };
  doc.score = pick<unknown>([
    Math.floor(rand() * 100),
    Math.floor(rand() * 100) + 0.5,
    null,
    'n/a',
    [Math.floor(rand() * 10), 50 + Math.floor(rand() * 10)],
    undefined,
  ]);
  if (doc.score === undefined) delete doc.score;
  doc.tags = pick<unknown>([[1, 10], [4], [], [2, 3, 'x'], 'solo', 7]);
  if (rand() < 0.5) doc.opt = pick([1, 2, 3, null]);
  return doc;
}

const QUERIES: Array<[string, Document]> = [
  ['eq leading', { tenant: 't1' }],
  ['$in leading', { tenant: { $in: ['t0', 't3'] } }],
  ['eq + range (history)', { tenant: 't2', ts: { $gte: new Date(T0 + 5 * DAY), $lt: new Date(T0 + 12 * DAY) } }],
  ['eq + open range', { tenant: 't0', ts: { $gt: new Date(T0 + 20 * DAY) } }],
  ['range on second field only', { ts: { $lt: new Date(T0 + 3 * DAY) } }],
  ['numeric range', { score: { $gte: 20, $lte: 60 } }],
  ['exclusive range', { score: { $gt: 49, $lt: 51 } }],
  ['string range', { score: { $gte: 'a' } }],
  ['null', { score: null }],
  ['multikey range', { tags: { $gt: 3, $lt: 5 } }],
  ['multikey eq', { tags: 4 }],
  ['multikey $in', { tags: { $in: [1, 'x'] } }],
  ['sparse eq', { opt: 2 }],
  ['sparse null', { opt: null }],
  ['sparse range', { opt: { $gte: 2 } }],
  [
    '$and of eq and range',
    { $and: [{ tenant: 't3' }, { ts: { $gte: new Date(T0 + 10 * DAY) } }, { ts: { $lte: new Date(T0 + 25 * DAY) } }] },
  ],
  ['$exists', { opt: { $exists: true } }],
];

describe.each(targets)('indexed reads on $name', (target) => {
  let running: RunningTarget;
  let client: MongoClient;
  let db: Db;

  beforeAll(async () => {
    running = await target.start();
    client = await MongoClient.connect(running.url);
    db = client.db(uniqueDbName('idx'));
    const c = db.collection<EventDoc>('events');
    await c.createIndex({ tenant: 1, ts: -1 });
    await c.createIndex({ score: 1 });
    await c.createIndex({ tags: 1 });
    await c.createIndex({ opt: 1 }, { sparse: true });
    const rand = prng(42);
    await c.insertMany(Array.from({ length: 400 }, (_, i) => makeDoc(rand, i)));
  });

  afterAll(async () => {
    await db?.dropDatabase().catch(() => undefined);
    await client?.close();
    await running?.stop();
  });

  async function expectSameAsScan(round: number): Promise<void> {
    const c = db.collection<EventDoc>('events');
    for (const [name, filter] of QUERIES) {
      const viaIndex = (await c.find(filter, { projection: { _id: 1 } }).toArray())
        .map((d) => d._id)
        .sort((a, b) => a - b);
      const viaScan = (await c.find(filter, { projection: { _id: 1 }, hint: { $natural: 1 } }).toArray())
        .map((d) => d._id)
        .sort((a, b) => a - b);
      expect(viaIndex, `${name} (round ${round})`).toEqual(viaScan);
    }
  }

  it('matches a collection scan on fresh data', async () => {
    await expectSameAsScan(0);
  });

  it('keeps matching while documents are inserted, updated and deleted', async () => {
    const c = db.collection<EventDoc>('events');
    const rand = prng(7);
    let nextId = 1000;
    for (let round = 1; round <= 6; round++) {
      await c.insertMany(Array.from({ length: 60 }, () => makeDoc(rand, nextId++)));
      await c.updateMany(
        { tenant: `t${round % 4}` },
        { $set: { ts: new Date(T0 + Math.floor(rand() * 30 * DAY)) }, $inc: { bump: 1 } },
      );
      await c.updateMany({ $expr: { $isNumber: '$score' }, tenant: 't1' }, { $inc: { score: 3 } });
      await c.updateOne({ tags: 4 }, { $push: { tags: 99 } as never });
      await c.deleteMany({ _id: { $in: Array.from({ length: 20 }, () => Math.floor(rand() * nextId)) } });
      await expectSameAsScan(round);
    }
  });

  it('explain shows a tight index scan for the history query', async () => {
    const filter = QUERIES[2]![1];
    const explained = await db.collection('events').find(filter).explain('executionStats');
    expect(planSummary(explained).indexNames).toContain('tenant_1_ts_-1');
    expect(explained.executionStats.totalDocsExamined).toBe(explained.executionStats.nReturned);
    const scan = await db.collection('events').find(filter).hint({ $natural: 1 }).explain('executionStats');
    expect(planSummary(scan).stages).toContain('COLLSCAN');
  });
});
