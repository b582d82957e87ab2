import { MongoClient, type Collection, type CommandSucceededEvent, type Document } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { foldDays } from '../../../server/src/domain/rollup-days.ts';
import { foldRollups, rollupKeyOf } from '../../../server/src/domain/rollup-keys.ts';
import { foldMonth, monthId, monthKeyOf } from '../../../server/src/domain/rollup-months.ts';
import { foldPathDay, pathDayId, pathDayKeyOf } from '../../../server/src/domain/rollup-path-days.ts';
import { prng } from '../../../server/src/cli/seed-catalog.ts';
import type { PageviewDoc } from '../../../server/src/storage/models.ts';
import { eraseUser } from '../../../server/src/storage/activity-purge.ts';
import { compareAndSet } from '../../../server/src/storage/rollup-cas.ts';
import { unpackSlots } from '../../../server/src/storage/rollup-month-store.ts';
import { unpackCells } from '../../../server/src/storage/rollup-path-day-store.ts';
import { MongoRollupStore } from '../../../server/src/storage/rollup-store.ts';
import { openStatsStorage, type StatsStorage } from '../../../server/src/storage/stats-storage.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { insertPageviews, recompute, rollupJob } from './fixtures.ts';

/**
 * The levels above the rollups are refreshed slot by slot (domain/rollup-refresh.ts): every
 * level still equals the fold of the page views, whatever the interleaving of writes and
 * runs on several instances, and a run reads what changed, not whole days and months.
 */
let t: TestHub;
let st: StatsStorage;
const job = (owner: string) => rollupJob(st, owner, 40);

beforeAll(async () => {
  t = await startHub();
  st = await openStatsStorage(t.hub.db);
});
afterAll(() => t?.stop());

const byId = <T extends { _id: string }>(list: T[]) => list.sort((a, b) => a._id.localeCompare(b._id));

/** Every level as it must be: folded straight from the agency's page views. */
async function expected(agencyId: string) {
  const pvs = (await t.hub.db.models.pageviews.find({ agencyId }).toArray()) as PageviewDoc[];
  const rollups = foldRollups(
    pvs.map((d) => ({
      ...d,
      locationId: d.locationId ?? null,
      startedAt: d.startedAt.getTime(),
      lastSeenAt: d.lastSeenAt.getTime(),
      engagedMs: d.engagedMs ?? 0,
      userName: d.userName ?? '',
      updatedAt: d.updatedAt.getTime(),
    })),
  );
  const days = foldDays(rollups.values());
  const months = new Map<
    string,
    { day: number; values: (typeof days extends Map<string, infer D> ? D : never)['values'] }[]
  >();
  for (const d of days.values()) {
    const id = monthId(monthKeyOf(d.key));
    months.set(id, [...(months.get(id) ?? []), { day: d.key.day, values: d.values }]);
  }
  const pathDays = new Map<string, (typeof rollups extends Map<string, infer R> ? R : never)[]>();
  for (const r of rollups.values()) {
    const id = pathDayId(pathDayKeyOf(r.key));
    pathDays.set(id, [...(pathDays.get(id) ?? []), r]);
  }
  return {
    days: byId(
      [...days].map(([_id, { values: v }]) => ({
        _id,
        slots: v.slots,
        pageviews: v.pageviews,
        engagedMs: v.engagedMs,
      })),
    ),
    months: byId(
      [...months].map(([_id, list]) => {
        const v = foldMonth(list)!;
        return { _id, slots: v.slots, pageviews: v.pageviews, engagedMs: v.engagedMs, userName: v.userName };
      }),
    ),
    pathDays: byId(
      [...pathDays].map(([_id, list]) => {
        const v = foldPathDay(list)!;
        return { _id, paths: v.paths, cells: v.cells };
      }),
    ),
  };
}

async function stored(agencyId: string) {
  const c = st.collections;
  return {
    days: byId(
      (await c.days.find({ agencyId }).toArray()).map((d) => ({
        _id: d._id,
        slots: d.slots,
        pageviews: d.pageviews,
        engagedMs: d.engagedMs,
      })),
    ),
    months: byId(
      (await c.months.find({ agencyId }).toArray()).map((d) => ({
        _id: d._id,
        slots: unpackSlots(d.slots),
        pageviews: d.pageviews,
        engagedMs: d.engagedMs,
        userName: d.userName,
      })),
    ),
    pathDays: byId(
      (await c.pathDays.find({ agencyId }).toArray()).map((d) => ({
        _id: d._id,
        paths: d.paths,
        cells: d.cells ? unpackCells(d.cells) : null,
      })),
    ),
  };
}

/** Page views of one agency across a month edge: users, locations, paths and 15-minute buckets. */
function specs(agencyId: string, n: number, seed: number) {
  const rnd = prng(seed);
  return Array.from({ length: n }, () => ({
    agencyId,
    userId: `u${Math.floor(rnd() * 5)}`,
    locationId: `loc-${Math.floor(rnd() * 2)}`,
    path: `/p${Math.floor(rnd() * 4)}`,
    startedAt: new Date(Date.UTC(2026, 3, 30) + Math.floor(rnd() * 3 * 24 * 4) * 900_000 + Math.floor(rnd() * 900_000)),
    engagedMs: Math.floor(rnd() * 60_000),
  }));
}

describe('incremental rollup levels', () => {
  it('through rounds of writes, with runs of three instances overlapping them, every level equals the fold of the page views', async () => {
    const agencyId = 'rounds';
    const docs = await insertPageviews(t, specs(agencyId, 300, 11));
    await Promise.all([job('a').catchUp(), job('b').catchUp()]);
    // Documents of the levels as an older hub wrote them: no revision, path-days without cells.
    await st.collections.pathDays.updateMany({ agencyId }, { $unset: { cells: 1, rev: 1 } });
    await st.collections.days.updateMany({ agencyId }, { $unset: { rev: 1 } });
    await st.collections.months.updateMany({ agencyId }, { $unset: { rev: 1 } });
    const rnd = prng(12);
    for (let round = 0; round < 4; round++) {
      const writes = async () => {
        await insertPageviews(t, specs(agencyId, 40, 100 + round));
        for (let i = 0; i < 30; i++) {
          const d = docs[Math.floor(rnd() * docs.length)]!;
          await t.hub.db.models.pageviews.updateOne(
            { _id: d._id },
            { $inc: { engagedMs: 1_000 }, $set: { updatedAt: new Date(), userName: `renamed ${round}` } },
          );
        }
      };
      await Promise.all([writes(), job('a').catchUp(), job('b').catchUp(), job('c').catchUp()]);
    }
    await job('d').catchUp();
    const want = await expected(agencyId);
    expect(want.months.length).toBeGreaterThanOrEqual(10);
    expect(want.pathDays.length).toBeGreaterThanOrEqual(6);
    expect(await stored(agencyId)).toEqual(want);
  });

  it('compare-and-set: a write built on a revision that changed, or an insert that meets a document, loses', async () => {
    const meta = st.collections.meta;
    expect(await compareAndSet(meta, [{ id: 'cas-1', rev: undefined, next: { owner: 'first' } }])).toEqual([]);
    const rev = ((await meta.findOne({ _id: 'cas-1' })) as Document).rev as string;
    expect(await compareAndSet(meta, [{ id: 'cas-1', rev: undefined, next: { owner: 'again' } }])).toEqual(['cas-1']);
    expect(await compareAndSet(meta, [{ id: 'cas-1', rev, next: { owner: 'second' } }])).toEqual([]);
    expect(await compareAndSet(meta, [{ id: 'cas-1', rev, next: { owner: 'stale' } }])).toEqual(['cas-1']);
    expect(await compareAndSet(meta, [{ id: 'cas-1', rev, next: null }])).toEqual(['cas-1']);
    expect(await meta.findOne({ _id: 'cas-1' })).toMatchObject({ owner: 'second' });
    const now = ((await meta.findOne({ _id: 'cas-1' })) as Document).rev as string;
    expect(await compareAndSet(meta, [{ id: 'cas-1', rev: now, next: null }])).toEqual([]);
    expect(await meta.findOne({ _id: 'cas-1' })).toBeNull();
    // A document from before revisions: `rev: null` matches it.
    await meta.insertOne({ _id: 'cas-2', owner: 'old' });
    expect(await compareAndSet(meta, [{ id: 'cas-2', rev: null, next: { owner: 'new' } }])).toEqual([]);
    expect(await meta.findOne({ _id: 'cas-2' })).toMatchObject({ owner: 'new' });
  });

  it('a refresh that loses to another run writing in between merges again onto what that run wrote', async () => {
    const agencyId = 'interleaved';
    const docs = await insertPageviews(t, specs(agencyId, 120, 21));
    await job('f').catchUp();
    const c = st.collections;
    const other = new MongoRollupStore(t.hub.db.models.pageviews, c.rollups, c.days, c.months, c.pathDays);
    // Just before this store's first write to each level, another run stores a new page view of
    // the same user, location and day in another slot, and refreshes every level: our write loses.
    const writes = new Map<string, number>();
    const interlope = async (name: string) => {
      writes.set(name, (writes.get(name) ?? 0) + 1);
      if (writes.get(name) !== 1) return;
      const d = docs[0]!;
      const [late] = await insertPageviews(t, [
        { ...d, id: undefined, startedAt: new Date(d.startedAt.getTime() + 3 * 900_000), locationId: d.locationId },
      ]);
      await recompute(other, [rollupKeyOf({ ...late!, startedAt: late!.startedAt.getTime() })]);
    };
    // Writes go as write commands through the collection's `db` (storage/bulk-chunks.ts).
    const interloping = <T extends Document>(coll: Collection<T>, name: string) =>
      new Proxy(coll, {
        get(target, prop) {
          if (prop === 'db')
            return new Proxy(target.db, {
              get(db, p) {
                if (p === 'command')
                  return async (command: Document) => {
                    if ('insert' in command || 'update' in command || 'delete' in command) await interlope(name);
                    return db.command(command);
                  };
                const v = Reflect.get(db, p) as unknown;
                return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(db) : v;
              },
            });
          const v = Reflect.get(target, prop) as unknown;
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    const store = new MongoRollupStore(
      t.hub.db.models.pageviews,
      c.rollups,
      interloping(c.days, 'days'),
      interloping(c.months, 'months'),
      interloping(c.pathDays, 'pathDays'),
    );
    const changed = docs.slice(0, 10);
    for (const d of changed)
      await t.hub.db.models.pageviews.updateOne(
        { _id: d._id },
        { $inc: { engagedMs: 7_000 }, $set: { updatedAt: new Date() } },
      );
    await recompute(
      store,
      changed.map((d) => rollupKeyOf({ ...d, startedAt: d.startedAt.getTime() })),
    );
    // The other run came before each level's first write (the merge again may find nothing left to write).
    expect([...writes.keys()].sort()).toEqual(['days', 'months', 'pathDays']);
    expect(await stored(agencyId)).toEqual(await expected(agencyId));
  });

  it('erasure takes the user out of path-days even when a run deleted their days first', async () => {
    const agencyId = 'erased';
    const pvs = specs(agencyId, 60, 41).map((p) => ({ ...p, startedAt: new Date(Date.UTC(2026, 3, 30, 9)) }));
    const docs = await insertPageviews(t, pvs);
    await job('i').catchUp();
    const gone = docs[0]!.userId;
    const listed = async () =>
      (await st.collections.pathDays.find({ agencyId }).toArray()).filter((d) =>
        d.paths.some((p) => p.u.includes(gone)),
      );
    expect((await listed()).length).toBeGreaterThan(0);
    // As another instance's run would: right after the page views go, it recomputes the user's
    // rollups (they go too) and their days, before erasure looks for them.
    const models = t.hub.db.models;
    const racing = new Proxy(models.pageviews, {
      get(target, prop) {
        if (prop === 'deleteMany')
          return async (filter: Document) => {
            const r = await target.deleteMany(filter);
            await recompute(
              st.rollups,
              docs.filter((d) => d.userId === gone).map((d) => rollupKeyOf({ ...d, startedAt: d.startedAt.getTime() })),
            );
            return r;
          };
        const v = Reflect.get(target, prop) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    await eraseUser({ ...models, pageviews: racing }, st.collections, agencyId, gone);
    expect(await listed()).toEqual([]);
    expect(await stored(agencyId)).toEqual(await expected(agencyId));
  });

  it('a path-day whose cells do not add up to its paths is rebuilt whole', async () => {
    const agencyId = 'damaged';
    const docs = await insertPageviews(t, specs(agencyId, 60, 31));
    await job('h').catchUp();
    // As a hub from before cells would leave it: paths rewritten, cells as they were.
    await st.collections.pathDays.updateMany({ agencyId }, { $set: { paths: [] } });
    const d = docs[0]!;
    await t.hub.db.models.pageviews.updateOne(
      { _id: d._id },
      { $inc: { engagedMs: 1_000 }, $set: { updatedAt: new Date() } },
    );
    await recompute(st.rollups, [rollupKeyOf({ ...d, startedAt: d.startedAt.getTime() })]);
    const id = pathDayId(pathDayKeyOf(rollupKeyOf({ ...d, startedAt: d.startedAt.getTime() })));
    const want = (await expected(agencyId)).pathDays.find((x) => x._id === id);
    expect(want?.paths.length).toBeGreaterThan(0);
    expect((await stored(agencyId)).pathDays.find((x) => x._id === id)).toEqual(want);
  });

  it('a location-day with more paths than a path-day may hold is read from its rollups, and runs go on', async () => {
    const agencyId = 'many-paths';
    const day = Date.UTC(2026, 6, 1);
    // 1,500 distinct paths of 1,000 characters: past PATH_DAY_MAX_BYTES (as a hostile tab could send).
    const long = (i: number) => `/${String(i).padStart(6, '0')}${'x'.repeat(993)}`;
    await insertPageviews(t, [
      ...Array.from({ length: 1_500 }, (_, i) => ({
        agencyId,
        userId: `u${i % 3}`,
        locationId: 'loc-big',
        path: long(i),
        startedAt: new Date(day + i * 30_000),
      })),
      ...Array.from({ length: 30 }, (_, i) => ({
        agencyId,
        userId: 'v',
        locationId: 'loc-small',
        path: `/s${i % 3}`,
        startedAt: new Date(day + i * 60_000),
      })),
    ]);
    await job('g').catchUp();
    expect(await st.collections.pathDays.findOne({ agencyId, locationId: 'loc-big' })).toMatchObject({
      overflow: true,
      paths: [],
    });
    expect(await st.collections.pathDays.findOne({ agencyId, locationId: 'loc-small' })).toMatchObject({
      overflow: false,
    });
    // More page views that day: the run goes on, and the answer follows them.
    await insertPageviews(t, [
      { agencyId, userId: 'u9', locationId: 'loc-big', path: long(0), startedAt: new Date(day + 3_600_000) },
      { agencyId, userId: 'u0', locationId: 'loc-big', path: long(1), startedAt: new Date(day + 3_600_000) },
    ]);
    await job('g').catchUp();
    // The user-days of the overflowed location are refreshed from their own rollups.
    const levels = await stored(agencyId);
    const wantLevels = await expected(agencyId);
    expect(levels.days).toEqual(wantLevels.days);
    expect(levels.months).toEqual(wantLevels.months);
    const rows = await st.reader.pageTotals(
      { agencyId },
      { source: 'rollups', from: new Date(day), to: new Date(day + 86_400_000) },
    );
    const sum = (list: { path: string; pageviews: number; users: string[] }[]) => {
      const out = new Map<string, { pageviews: number; users: Set<string> }>();
      for (const r of list) {
        const cur = out.get(r.path) ?? { pageviews: 0, users: new Set<string>() };
        cur.pageviews += r.pageviews;
        for (const u of r.users) cur.users.add(u);
        out.set(r.path, cur);
      }
      return [...out]
        .map(([path, v]) => ({ path, pageviews: v.pageviews, users: [...v.users].sort() }))
        .sort((a, b) => a.path.localeCompare(b.path));
    };
    const pvs = (await t.hub.db.models.pageviews.find({ agencyId }).toArray()) as PageviewDoc[];
    const want = sum(pvs.map((p) => ({ path: p.path, pageviews: 1, users: [p.userId] })));
    expect(want).toHaveLength(1_503);
    expect(want.find((r) => r.path === long(0))).toEqual({ path: long(0), pageviews: 2, users: ['u0', 'u9'] });
    expect(want.find((r) => r.path === long(1))).toEqual({ path: long(1), pageviews: 2, users: ['u1', 'u0'].sort() });
    expect(sum(rows)).toEqual(want);
  });

  it('a run after one heartbeat in a busy day reads that bucket, not the day', async () => {
    const agencyId = 'busy';
    // One location-day: 20 users, 96 buckets, 2 paths each.
    const day = Date.UTC(2026, 5, 3);
    const specsOfDay = Array.from({ length: 20 * 96 * 2 }, (_, i) => ({
      agencyId,
      userId: `u${i % 20}`,
      locationId: 'loc-busy',
      path: `/p${Math.floor(i / 20) % 2}`,
      startedAt: new Date(day + Math.floor(i / 40) * 900_000 + (i % 40) * 1_000),
    }));
    const docs = await insertPageviews(t, specsOfDay);
    await job('e').catchUp();
    const client = await new MongoClient(t.env.MONGO_URL as string, { monitorCommands: true }).connect();
    try {
      const read = new Map<string, number>();
      client.on('commandSucceeded', (e: CommandSucceededEvent) => {
        const cursor = (e.reply as Document).cursor as
          { ns: string; firstBatch?: unknown[]; nextBatch?: unknown[] } | undefined;
        if (!cursor) return;
        const coll = cursor.ns.split('.').slice(1).join('.');
        read.set(coll, (read.get(coll) ?? 0) + (cursor.firstBatch ?? cursor.nextBatch ?? []).length);
      });
      const db = client.db();
      const store = new MongoRollupStore(
        db.collection('pageviews'),
        db.collection('rollups'),
        db.collection('rollup_days'),
        db.collection('rollup_months'),
        db.collection('rollup_path_days'),
      );
      const pv = docs[1_000]!;
      await t.hub.db.models.pageviews.updateOne(
        { _id: pv._id },
        { $inc: { engagedMs: 15_000 }, $set: { updatedAt: new Date() } },
      );
      await recompute(store, [rollupKeyOf({ ...pv, startedAt: pv.startedAt.getTime() })]);
      // The bucket holds 40 page views of 20 users on 2 paths: its rollups, the location's 40
      // (read once for the user-day and the path-day), then one user-day, one month and one
      // path-day. Rebuilt whole, the user's day alone is 192 rollups and the location's 3,840.
      expect(read.get('rollups') ?? 0, JSON.stringify([...read])).toBe(40);
      expect(read.get('rollup_days') ?? 0).toBeLessThanOrEqual(2);
      expect(read.get('rollup_months') ?? 0).toBe(1);
      expect(read.get('rollup_path_days') ?? 0).toBe(1);
    } finally {
      await client.close();
    }
    expect(await stored(agencyId)).toEqual(await expected(agencyId));
  });
});
