/**
 * Number types inside the embedded server (embedded only): the in-memory form of numbers
 * (numbers.ts), `$inc`/`$mul` arithmetic and the update fast path agree with MongoDB's type
 * rules, and the journal and the snapshot keep every type across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Double, Int32, Long } from 'bson';
import { MongoClient, type Document } from 'mongodb';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo } from '../src/index.ts';
import { tryFastUpdate } from '../src/fast-update.ts';
import { arithmetic } from '../src/number-arith.ts';
import { normalizeDecoded, plainNumbers } from '../src/numbers.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** `Double:5`, `Int32:5`, `Long:5` or `number:5`: a value with the type it is held or read as. */
const shown = (v: unknown): string => `${(v as { _bsontype?: string } | null)?._bsontype ?? typeof v}:${String(v)}`;

describe('numbers in memory', () => {
  it('decoding keeps whole doubles and longs only where documents are stored', () => {
    const decoded = () => ({ d: new Double(5), f: new Double(5.5), i: new Int32(5), l: Long.fromNumber(5) });
    const stored = normalizeDecoded(decoded(), true) as Document;
    expect(Object.values(stored).map(shown)).toEqual(['Double:5', 'number:5.5', 'number:5', 'Long:5']);
    const args = normalizeDecoded(decoded(), false) as Document;
    expect(Object.values(args).map(shown)).toEqual(['number:5', 'number:5.5', 'number:5', 'number:5']);
    expect(Object.values(plainNumbers(stored)).map(shown)).toEqual(Object.values(args).map(shown));
    // -0 is written as a double, so it needs no wrapper; an unsafe long stays a Long, as before.
    expect(shown(normalizeDecoded(new Double(-0), true))).toBe('number:0');
    expect(shown(normalizeDecoded(Long.fromString('9007199254740993'), false))).toBe('Long:9007199254740993');
  });

  it('arithmetic follows MongoDB: int32 widens, int64 overflows to null, doubles stay doubles', () => {
    expect(shown(arithmetic('$inc', 2147483647, 1))).toBe('Long:2147483648');
    expect(shown(arithmetic('$mul', -65536, 65536))).toBe('Long:-4294967296');
    expect(shown(arithmetic('$inc', 2, 3))).toBe('number:5');
    expect(shown(arithmetic('$inc', 2.5, 2.5))).toBe('Double:5');
    expect(shown(arithmetic('$mul', 0, -2.5))).toBe('number:0');
    expect(Object.is(arithmetic('$mul', 0, -2.5), -0)).toBe(true);
    expect(shown(arithmetic('$inc', Long.fromNumber(1), 2))).toBe('Long:3');
    expect(arithmetic('$inc', Long.MAX_VALUE, 1)).toBeNull();
    expect(arithmetic('$mul', Long.MIN_VALUE, -1)).toBeNull();
  });

  it('the update fast path applies the same $inc rules', () => {
    const doc: Document = { i: 2147483647, d: 1.5, n: -2147483648 };
    expect(tryFastUpdate(doc, { $inc: { i: 1, d: 0.5, n: -1, m: 3 } })).toBe(true);
    expect(Object.values(doc).map(shown)).toEqual(['Long:2147483648', 'Double:2', 'Long:-2147483649', 'number:3']);
    // A kept wrapper is not a plain number: the general path takes it.
    expect(tryFastUpdate(doc, { $inc: { i: 1 } })).toBe(false);
    expect(tryFastUpdate({ a: 1 }, { $inc: { a: Long.fromNumber(1) } })).toBe(false);
  });
});

describe('numbers on disk', () => {
  it('the journal and the snapshot keep every number type across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'embedded-mongo-num-'));
    dirs.push(dir);
    const open = async () => {
      const server = await startEmbeddedMongo({ dataDir: dir, compactThresholdBytes: 8 * 1024, log: () => undefined });
      return { server, client: await MongoClient.connect(server.url) };
    };
    let { server, client } = await open();
    const c = client.db('nums').collection('c');
    // Enough to pass the compaction threshold: the first documents end up in the snapshot.
    const docs = Array.from({ length: 60 }, (_, i) => ({
      _id: i,
      w: new Double(i),
      l: Long.fromNumber(i),
      pad: 'z'.repeat(200),
    }));
    await c.insertMany(docs as never[]);
    await c.updateOne({ _id: 0 as never }, { $inc: { big: 2147483647 } });
    await c.updateOne({ _id: 0 as never }, { $inc: { big: 1 } });
    const read = async (coll: typeof c) =>
      (await coll.find({}, { promoteValues: false }).sort({ _id: 1 }).toArray()).map((d) =>
        Object.entries(d).map(([k, v]) => `${k}=${shown(v)}`),
      );
    const before = await read(c);
    expect(before[0]).toEqual([
      '_id=Int32:0',
      'w=Double:0',
      'l=Long:0',
      `pad=string:${'z'.repeat(200)}`,
      'big=Long:2147483648',
    ]);
    await client.close();
    await server.close();
    ({ server, client } = await open());
    expect(await read(client.db('nums').collection('c'))).toEqual(before);
    await client.close();
    await server.close();
  });
});
