import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collection } from 'mongodb';
import { BULK_CHUNK, updateInChunks } from '../../../server/src/storage/bulk-chunks.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';

interface Doc {
  _id: string;
  n: number;
}

/** The tracking flush's writes: `update` commands in chunks, counted as a bulk write would count them. */
let t: TestHub;
let coll: Collection<Doc>;

beforeAll(async () => {
  t = await startHub();
  coll = t.hub.db.models.pageviews.db.collection<Doc>('update_chunks_test');
});
afterAll(() => t?.stop());

describe('updateInChunks', () => {
  it('counts matched and inserted documents across chunks, in order when asked', async () => {
    const inc = (id: string) => ({ q: { _id: id }, u: { $inc: { n: 1 } } });
    const statements = [
      { q: { _id: 'a' }, u: { $setOnInsert: { n: 0 } }, upsert: true },
      ...Array.from({ length: BULK_CHUNK + 10 }, () => inc('a')),
      inc('missing'), // matches nothing: not counted
    ];
    expect(await updateInChunks(coll, statements, { ordered: true })).toBe(BULK_CHUNK + 11);
    expect(await coll.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: BULK_CHUNK + 10 });
    expect(await updateInChunks(coll, [])).toBe(0);
  });

  it('fails when a statement fails, after applying the others of an unordered chunk', async () => {
    await coll.insertOne({ _id: 'b', n: 1 });
    const statements = [
      // Another document with the same _id: the upsert's insert is a duplicate key.
      { q: { _id: 'b', n: 2 }, u: { $set: { n: 3 } }, upsert: true },
      { q: { _id: 'c' }, u: { $set: { n: 1 } }, upsert: true },
    ];
    await expect(updateInChunks(coll, statements)).rejects.toMatchObject({ code: 11000 });
    expect(await coll.findOne({ _id: 'b' })).toEqual({ _id: 'b', n: 1 });
    expect(await coll.findOne({ _id: 'c' })).toEqual({ _id: 'c', n: 1 });
  });
});
