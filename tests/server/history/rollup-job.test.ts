import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldDays } from '../../../server/src/domain/rollup-days.ts';
import { foldRollups, rollupId, rollupKeyOf, type RollupKey } from '../../../server/src/domain/rollup-keys.ts';
import type { PageviewDoc } from '../../../server/src/storage/models.ts';
import type { ChangedScope } from '../../../server/src/domain/stats-ports.ts';
import { rollupPass, type RolledUp } from '../../../server/src/domain/rollup-pass.ts';
import { MongoJobStateStore } from '../../../server/src/storage/job-state-store.ts';
import { BULK_CHUNK, writeUnordered } from '../../../server/src/storage/bulk-chunks.ts';
import { bulkIgnoringStale } from '../../../server/src/storage/rollup-day-store.ts';
import { MongoRollupStore, rollupUpsert } from '../../../server/src/storage/rollup-store.ts';
import { openStatsStorage, type StatsStorage } from '../../../server/src/storage/stats-storage.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { insertPageviews, recompute, rollupJob } from './fixtures.ts';
import { prng } from '../../../server/src/cli/seed-catalog.ts';

/**
 * The rollup maintenance is idempotent (recomputes with `$set`), safe when runs overlap on
 * several instances, leased so one instance normally works, and never misses a late write
 * inside the margin. Runs here overlap with the hub's own periodic job on purpose.
 */
let t: TestHub;
let st: StatsStorage;
const job = (owner: string) => rollupJob(st, owner, 50);

beforeAll(async () => {
  t = await startHub();
  st = await openStatsStorage(t.hub.db);
});
afterAll(() => t?.stop());

/** The rollups and user-days as they must be: folded straight from every stored page view. */
async function expected() {
  const pvs = (await t.hub.db.models.pageviews.find({}).toArray()) as PageviewDoc[];
  const folded = foldRollups(
    pvs.map((d) => ({
      ...d,
      locationId: d.locationId ?? null,
      startedAt: d.startedAt.getTime(),
      lastSeenAt: d.lastSeenAt.getTime(),
      updatedAt: d.updatedAt.getTime(),
    })),
  );
  const rollups = [...folded]
    .map(([id, { values }]) => ({ _id: id, pageviews: values.pageviews, engagedMs: values.engagedMs }))
    .sort((a, b) => a._id.localeCompare(b._id));
  const days = [...foldDays(folded.values())]
    .map(([id, { values }]) => ({ _id: id, pageviews: values.pageviews, slots: values.slots }))
    .sort((a, b) => a._id.localeCompare(b._id));
  return { rollups, days };
}
/** The stored rollup a page view counts in. */
const rollupOf = (d: PageviewDoc) =>
  st.collections.rollups.findOne({ _id: rollupId(rollupKeyOf({ ...d, startedAt: d.startedAt.getTime() })) });

/** One rollup pass run directly (as the hub's job does, margin and all), with its own memory of states. */
const pass = (recent: RolledUp, scope: ChangedScope & { open: boolean }) =>
  rollupPass(st.rollups, st.jobState, { marginMs: 30_000, batchKeys: 50, clock: Date.now }, recent, (w) => w(), scope);

const stored = async () => ({
  rollups: (await st.collections.rollups.find({}, { projection: { pageviews: 1, engagedMs: 1 } }).toArray()).sort(
    (a, b) => a._id.localeCompare(b._id),
  ),
  days: (await st.collections.days.find({}, { projection: { pageviews: 1, slots: 1 } }).toArray()).sort((a, b) =>
    a._id.localeCompare(b._id),
  ),
});

describe('rollup job', () => {
  it('overlapping runs on three "instances" produce exactly the rollups of the page views', async () => {
    const rnd = prng(7);
    await insertPageviews(
      t,
      Array.from({ length: 300 }, (_, i) => ({
        userId: `u${i % 7}`,
        path: `/p${Math.floor(rnd() * 4)}`,
        startedAt: new Date(Date.UTC(2026, 4, 1) + Math.floor(rnd() * 86_400_000 * 3)),
        engagedMs: Math.floor(rnd() * 50_000),
      })),
    );
    await Promise.all([job('a').catchUp(), job('b').catchUp(), job('c').catchUp()]);
    const want = await expected();
    expect(want.days.length).toBeGreaterThan(10);
    expect(await stored()).toEqual(want);
    // Again, from scratch state in new processes: nothing changes.
    await Promise.all([job('d').catchUp(), job('e').catchUp()]);
    expect(await stored()).toEqual(want);
  });

  it('refreshes the levels above the rollups once per run (or per levelKeys keys), not per batch', async () => {
    await insertPageviews(
      t,
      Array.from({ length: 200 }, (_, i) => ({
        userId: `batches${i % 5}`,
        path: `/b${i}`,
        startedAt: new Date(Date.UTC(2026, 4, 20) + i * 60_000),
      })),
    );
    const calls = { rollups: 0, levels: [] as number[] };
    const counting = (levelKeys?: number) => {
      const store = {
        changedSince: (since: Date, scope?: ChangedScope) => st.rollups.changedSince(since, scope),
        recomputeRollups: (keys: RollupKey[]) => (calls.rollups++, st.rollups.recomputeRollups(keys)),
        refreshLevels: (keys: RollupKey[]) => (calls.levels.push(keys.length), st.rollups.refreshLevels(keys)),
      };
      return rollupJob({ rollups: store, jobState: st.jobState }, 'counting', 50, levelKeys ? { levelKeys } : {});
    };
    // A fresh job has no memory of states it rolled up: it re-reads every page view since the watermark's margin.
    await st.jobState.advanceWatermark('rollups', 0);
    await counting().catchUp();
    expect(calls.rollups).toBeGreaterThanOrEqual(4);
    expect(calls.levels).toHaveLength(1);
    Object.assign(calls, { rollups: 0, levels: [] });
    // With levelKeys 100, levels are refreshed once at least 100 rollups wait: batches of 50 add up to
    // 50 new keys each (fewer where a batch names a rollup an earlier batch of the run named), so every
    // refresh holds fewer than 150 keys and every one but the last at least 100.
    await counting(100).catchUp();
    expect(calls.levels.length).toBeGreaterThanOrEqual(2);
    for (const n of calls.levels) expect(n).toSatisfy((k: number) => k > 0 && k < 150);
    for (const n of calls.levels.slice(0, -1)) expect(n).toBeGreaterThanOrEqual(100);
  });

  it('follows engaged time credited later, with $set rather than increments', async () => {
    const [doc] = await insertPageviews(t, [{ userId: 'late', startedAt: '2026-05-10T10:00:00Z', engagedMs: 1_000 }]);
    const j = job('f');
    await j.catchUp();
    await t.hub.db.models.pageviews.updateOne(
      { _id: doc!._id },
      { $inc: { engagedMs: 4_000 }, $set: { updatedAt: new Date() } },
    );
    await j.catchUp();
    await j.catchUp();
    expect(await rollupOf(doc!)).toMatchObject({ pageviews: 1, engagedMs: 5_000 });
  });

  it('a periodic pass leaves an open page view to its close; a catch-up takes it, once per state', async () => {
    const agencyId = 'open-pv';
    const [open, closed] = await insertPageviews(t, [
      { agencyId, userId: 'o1', path: '/open', startedAt: '2026-05-12T10:00:00Z', engagedMs: 1_000 },
      { agencyId, userId: 'o1', path: '/closed', startedAt: '2026-05-12T10:00:00Z', engagedMs: 2_000 },
    ]);
    // Open, and quiet for 20 minutes (a hidden tab): behind the watermark and its margin once a pass ran.
    const changedAt = new Date(Date.now() - 20 * 60_000);
    await t.hub.db.models.pageviews.updateOne({ _id: open!._id }, { $set: { endedAt: null, updatedAt: changedAt } });
    const dayOf = () => st.collections.days.findOne({ agencyId, userId: 'o1' });
    const periodic = () => pass(new Map(), { open: false });

    await periodic();
    expect(await rollupOf(closed!)).toMatchObject({ pageviews: 1, engagedMs: 2_000 });
    expect(await rollupOf(open!)).toBeNull();
    expect(await dayOf()).toMatchObject({ pageviews: 1, engagedMs: 2_000 });
    // The watermark is past the open page view's last change; a catch-up in a process that never
    // saw it (a History read on another instance) still finds it, because it is open.
    expect((await st.jobState.watermark('rollups'))! - 30_000).toBeGreaterThan(changedAt.getTime());
    const reader = job('reader');
    // The open one, and the closed one again: inside the margin, and new to this process.
    expect(await reader.catchUpAgency(agencyId)).toMatchObject({ changed: 2 });
    expect(await rollupOf(open!)).toMatchObject({ pageviews: 1, engagedMs: 1_000 });
    expect(await dayOf()).toMatchObject({ pageviews: 2, engagedMs: 3_000 });
    // Unchanged since, however long ago it changed: later reads' catch-ups do not recompute it again.
    expect(await reader.catchUpAgency(agencyId)).toMatchObject({ changed: 0 });
    expect(await reader.catchUpAgency(agencyId)).toMatchObject({ changed: 0 });

    // Its close stamps it as changed: the next periodic pass rolls up its final state.
    await t.hub.db.models.pageviews.updateOne(
      { _id: open!._id },
      { $set: { endedAt: new Date(), updatedAt: new Date() }, $inc: { engagedMs: 500 } },
    );
    await periodic();
    expect(await rollupOf(open!)).toMatchObject({ pageviews: 1, engagedMs: 1_500 });
    expect(await dayOf()).toMatchObject({ pageviews: 2, engagedMs: 3_500 });
  });

  it('a close stamped with the same updatedAt as the open state rolled up before it is rolled up too', async () => {
    const agencyId = 'same-stamp';
    const [pv] = await insertPageviews(t, [
      { agencyId, userId: 's1', startedAt: '2026-05-12T12:00:00Z', engagedMs: 1_000 },
    ]);
    await t.hub.db.models.pageviews.updateOne({ _id: pv!._id }, { $set: { endedAt: null } });
    const recent: RolledUp = new Map();
    await pass(recent, { agencyId, open: true });
    // One flush stamps a last credit and the end with the same time.
    await t.hub.db.models.pageviews.updateOne(
      { _id: pv!._id },
      { $set: { endedAt: new Date() }, $inc: { engagedMs: 500 } },
    );
    await pass(recent, { open: false });
    expect(await rollupOf(pv!)).toMatchObject({ pageviews: 1, engagedMs: 1_500 });
  });

  it('a page view that closes while a catch-up reads is read at least once', async () => {
    const agencyId = 'closing-mid-read';
    const [pv] = await insertPageviews(t, [{ agencyId, userId: 'c1', startedAt: '2026-05-12T11:00:00Z' }]);
    const pageviews = t.hub.db.models.pageviews;
    await pageviews.updateOne({ _id: pv!._id }, { $set: { endedAt: null } });
    // The page view closes just before the read's second query runs, whichever that is.
    let finds = 0;
    const closingBetween = new Proxy(pageviews, {
      get(target, prop, receiver) {
        if (prop !== 'find') return Reflect.get(target, prop, receiver) as unknown;
        return (...args: Parameters<typeof pageviews.find>) => {
          const cursor = target.find(...args);
          if (++finds !== 2) return cursor;
          return {
            async *[Symbol.asyncIterator]() {
              await pageviews.updateOne({ _id: pv!._id }, { $set: { endedAt: new Date(), updatedAt: new Date() } });
              yield* cursor;
            },
            close: () => cursor.close(),
          };
        };
      },
    });
    const c = st.collections;
    const store = new MongoRollupStore(closingBetween, c.rollups, c.days, c.months, c.pathDays);
    const read: string[] = [];
    for await (const x of store.changedSince(new Date(Date.now() - 1_000), { agencyId, open: true })) read.push(x.id);
    expect(finds).toBe(2);
    expect(read).toContain(pv!._id);
  });

  it("an agency's catch-up reads that agency's changes only, and follows them exactly", async () => {
    const [mine, theirs] = await insertPageviews(t, [
      { agencyId: 'scoped-a', userId: 'sa', startedAt: '2026-05-11T10:00:00Z', engagedMs: 1_000 },
      { agencyId: 'scoped-b', userId: 'sb', startedAt: '2026-05-11T10:00:00Z', engagedMs: 1_000 },
    ]);
    const seen: string[] = [];
    const store = {
      async *changedSince(since: Date, scope?: ChangedScope) {
        for await (const c of st.rollups.changedSince(since, scope)) {
          seen.push(c.key.agencyId);
          yield c;
        }
      },
      recomputeRollups: (keys: RollupKey[]) => st.rollups.recomputeRollups(keys),
      refreshLevels: (keys: RollupKey[]) => st.rollups.refreshLevels(keys),
    };
    const j = rollupJob({ rollups: store, jobState: st.jobState }, 'scoped', 50);
    for (const d of [mine!, theirs!])
      await t.hub.db.models.pageviews.updateOne(
        { _id: d._id },
        { $inc: { engagedMs: 4_000 }, $set: { updatedAt: new Date() } },
      );
    await j.catchUpAgency('scoped-a');
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(['scoped-a']));
    expect(await rollupOf(mine!)).toMatchObject({ pageviews: 1, engagedMs: 5_000 });
    const day = await st.collections.days.findOne({ agencyId: 'scoped-a', userId: 'sa' });
    expect(day).toMatchObject({ pageviews: 1, engagedMs: 5_000 });
  });

  it('picks up a write stamped just behind the watermark (inside the margin)', async () => {
    const j = job('g');
    await j.catchUp();
    const watermark = (await st.jobState.watermark('rollups')) as number;
    const [doc] = await insertPageviews(t, [{ userId: 'skewed', startedAt: '2026-05-11T08:00:00Z' }]);
    await t.hub.db.models.pageviews.updateOne({ _id: doc!._id }, { $set: { updatedAt: new Date(watermark - 3_000) } });
    const stats = await job('h').catchUp();
    expect(stats.changed).toBeGreaterThanOrEqual(1);
    expect(await st.collections.rollups.countDocuments({ userId: 'skewed' })).toBe(1);
  });

  it('deletes a rollup left without page views', async () => {
    const [doc] = await insertPageviews(t, [{ userId: 'gone', startedAt: '2026-05-12T08:00:00Z' }]);
    await job('i').catchUp();
    const key = rollupKeyOf({ ...doc!, startedAt: doc!.startedAt.getTime() });
    await t.hub.db.models.pageviews.deleteOne({ _id: doc!._id });
    expect(await recompute(st.rollups, [key])).toEqual({ written: 0, deleted: 1 });
    expect(await st.collections.rollups.countDocuments({ userId: 'gone' })).toBe(0);
    expect(await st.collections.days.countDocuments({ userId: 'gone' })).toBe(0);
  });

  it("recomputing a rollup decodes only its own page views, not the user's other pages in the bucket", async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 4, 14, 9, m));
    await insertPageviews(t, [
      ...Array.from({ length: 40 }, (_, i) => ({ userId: 'browser', path: `/other/${i}`, startedAt: at(i % 15) })),
      { userId: 'browser', path: '/deals', startedAt: at(3), engagedMs: 2_000 },
      { userId: 'browser', path: '/deals', startedAt: at(9), engagedMs: 3_000 },
    ]);
    await job('j').catchUp();
    // The same store, over a page view collection that counts the documents its reads return.
    let decoded = 0;
    const pageviews = t.hub.db.models.pageviews;
    const counting = new Proxy(pageviews, {
      get(target, prop, receiver) {
        if (prop !== 'find') return Reflect.get(target, prop, receiver) as unknown;
        return (...args: Parameters<typeof pageviews.find>) => {
          const cursor = target.find(...args);
          return new Proxy(cursor, {
            get(c, p, r) {
              if (p !== 'toArray') return Reflect.get(c, p, r) as unknown;
              return async () => {
                const docs = await c.toArray();
                decoded += docs.length;
                return docs;
              };
            },
          });
        };
      },
    });
    const { rollups, days, months, pathDays } = st.collections;
    const store = new MongoRollupStore(counting, rollups, days, months, pathDays);
    const key = rollupKeyOf({
      agencyId: 'acme',
      userId: 'browser',
      locationId: 'loc-1',
      path: '/deals',
      startedAt: at(0).getTime(),
    });
    expect(await store.recomputeRollups([key])).toEqual({ written: 1, deleted: 0 });
    expect(decoded).toBe(2);
    expect(await rollups.findOne({ _id: rollupId(key) })).toMatchObject({ pageviews: 2, engagedMs: 5_000 });
    // The other pages' rollups are still there, untouched.
    expect(await rollups.countDocuments({ userId: 'browser' })).toBe(41);
  });

  it('an older computation never overwrites a newer one', async () => {
    const key = { agencyId: 'acme', userId: 'race', locationId: null, path: '/x', bucketStart: Date.UTC(2026, 4, 13) };
    const values = (pageviews: number, version: number) => ({
      pageviews,
      engagedMs: 0,
      lastSeenAt: version,
      userName: 'r',
      version,
    });
    await bulkIgnoringStale(st.collections.rollups, [rollupUpsert(key, values(5, 2_000))]);
    await bulkIgnoringStale(st.collections.rollups, [rollupUpsert(key, values(3, 1_000))]);
    expect(await st.collections.rollups.findOne({ _id: rollupId(key) })).toMatchObject({ pageviews: 5 });
    await bulkIgnoringStale(st.collections.rollups, [rollupUpsert(key, values(6, 3_000))]);
    expect(await st.collections.rollups.findOne({ _id: rollupId(key) })).toMatchObject({ pageviews: 6 });
  });

  it('writes more than one bulk chunk: stale losers in one chunk neither fail the run nor stop the next chunk', async () => {
    const n = BULK_CHUNK * 2 + 100;
    const key = (i: number) => ({
      agencyId: 'acme',
      userId: 'chunks',
      locationId: null,
      path: `/p${i}`,
      bucketStart: Date.UTC(2026, 4, 14),
    });
    const values = (pageviews: number, version: number) => ({
      pageviews,
      engagedMs: 0,
      lastSeenAt: version,
      userName: 'c',
      version,
    });
    // Newer versions already stored for every tenth key, all in the first chunk.
    const stored = Array.from({ length: BULK_CHUNK / 10 }, (_, j) => rollupUpsert(key(j * 10), values(9, 5_000)));
    await bulkIgnoringStale(st.collections.rollups, stored);
    await bulkIgnoringStale(
      st.collections.rollups,
      Array.from({ length: n }, (_, i) => rollupUpsert(key(i), values(1, 1_000))),
    );
    expect(await st.collections.rollups.countDocuments({ userId: 'chunks' })).toBe(n);
    expect(await st.collections.rollups.countDocuments({ userId: 'chunks', pageviews: 9 })).toBe(BULK_CHUNK / 10);
    expect(await st.collections.rollups.findOne({ _id: rollupId(key(n - 1)) })).toMatchObject({ pageviews: 1 });
  });

  it('write commands count what they applied across chunk edges; a lost duplicate is not a failure, others are', async () => {
    const meta = st.collections.meta;
    const ids = Array.from({ length: BULK_CHUNK + 10 }, (_, i) => `w-${i}`);
    const inserts = ids.map((id) => ({ insertOne: { document: { _id: id, owner: 'first' } } }));
    expect(await writeUnordered(meta, inserts)).toBe(ids.length);
    const mixed = [
      // Lost: already there.
      { insertOne: { document: { _id: 'w-0', owner: 'again' } } },
      { insertOne: { document: { _id: 'w-new', owner: 'new' } } },
      ...ids
        .slice(0, BULK_CHUNK + 5)
        .map((id) => ({ updateOne: { filter: { _id: id }, update: { $set: { owner: 'b' } } } })),
      // Matches nothing.
      { updateOne: { filter: { _id: 'w-1', owner: 'nobody' }, update: { $set: { owner: 'c' } } } },
      { deleteOne: { filter: { _id: ids.at(-1)! } } },
    ];
    await expect(writeUnordered(meta, mixed)).rejects.toMatchObject({ name: 'MongoWriteError', code: 11000 });
    expect(await writeUnordered(meta, mixed, { duplicatesLost: true })).toBe(1 + BULK_CHUNK + 5 + 0 + 0);
    expect(await meta.findOne({ _id: 'w-0' })).toMatchObject({ owner: 'b' });
    expect(await meta.countDocuments({ _id: { $in: [...ids, 'w-new'] } })).toBe(ids.length);
    // Any other failure fails the call, lost duplicates or not.
    const bad = [{ updateOne: { filter: { _id: 'w-2' }, update: { $bogus: { owner: 'x' } } } }];
    await expect(writeUnordered(meta, bad as never, { duplicatesLost: true })).rejects.toMatchObject({
      name: 'MongoWriteError',
    });
  });
});

describe('lease and watermark', () => {
  it('one owner at a time, renewable, taken over after expiry, released on stop', async () => {
    let now = 1_000_000;
    const store = new MongoJobStateStore(st.collections.meta, () => now);
    expect(await store.tryLease('test-lease', 'a', 10_000)).toBe(true);
    expect(await store.tryLease('test-lease', 'b', 10_000)).toBe(false);
    expect(await store.tryLease('test-lease', 'a', 10_000)).toBe(true);
    now += 10_001;
    expect(await store.tryLease('test-lease', 'b', 10_000)).toBe(true);
    expect(await store.tryLease('test-lease', 'a', 10_000)).toBe(false);
    await store.releaseLease('test-lease', 'b');
    expect(await store.tryLease('test-lease', 'a', 10_000)).toBe(true);
  });

  it('the hub holds the rollup lease, so another instance’s periodic run stands by', async () => {
    expect(await job('other-instance').tick()).toBeNull();
  });

  it('the watermark only moves forward', async () => {
    await st.jobState.advanceWatermark('test-wm', 5_000);
    await st.jobState.advanceWatermark('test-wm', 4_000);
    expect(await st.jobState.watermark('test-wm')).toBe(5_000);
  });
});
