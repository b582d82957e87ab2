import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from 'mongodb';
import { openStatsCollections, type StatsCollections } from '../../../server/src/storage/rollup-models.ts';
import { exportQuery } from '../../../server/src/storage/pageview-export.ts';
import { mongoFilter } from '../../../server/src/storage/pageview-queries.ts';
import { monthQuery } from '../../../server/src/storage/rollup-month-store.ts';
import { changedQueries } from '../../../server/src/storage/rollup-changes.ts';
import { bucketPipeline, pagePipeline, userPipeline } from '../../../server/src/storage/stats-queries.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { getJson, insertPageviews, tokenFor } from './fixtures.ts';

/**
 * The history queries are answered from indexes, on the run's database (embedded or MongoDB):
 * explain's winning plan must scan an index (IXSCAN, with the index we meant), never COLLSCAN.
 * The queries are the ones the storage layer builds, not copies.
 */
let t: TestHub;
let stats: StatsCollections;

beforeAll(async () => {
  t = await startHub();
  await insertPageviews(
    t,
    Array.from({ length: 50 }, (_, i) => ({
      userId: `u${i % 5}`,
      agencyId: i % 2 ? 'acme' : 'other',
      startedAt: new Date(Date.UTC(2026, 2, 1) + i * 3_600_000),
    })),
  );
  // A statistics read runs the catch-up, so rollups exist before we explain queries on them.
  expect((await getJson(t, '/top-pages', await tokenFor(t, 'boss'))).status).toBe(200);
  stats = await openStatsCollections(t.hub.db.conn);
});
afterAll(() => t?.stop());

/** Every (stage, indexName) in an explain document, whatever its shape (classic, SBE, aggregate). */
function stagesOf(doc: unknown, out: { stage: string; indexName?: string }[] = []) {
  if (Array.isArray(doc)) for (const d of doc) stagesOf(d, out);
  else if (doc && typeof doc === 'object') {
    const o = doc as Document;
    if (typeof o.stage === 'string')
      out.push({ stage: o.stage, ...(typeof o.indexName === 'string' ? { indexName: o.indexName } : {}) });
    for (const [k, v] of Object.entries(o)) if (k !== 'rejectedPlans' && k !== 'allPlansExecution') stagesOf(v, out);
  }
  return out;
}

function expectIndexed(explain: Document, indexNames: string[]) {
  const stages = stagesOf(explain);
  expect(stages.map((s) => s.stage)).not.toContain('COLLSCAN');
  const used = stages.filter((s) => s.indexName).map((s) => s.indexName);
  expect(used.length, JSON.stringify(stages)).toBeGreaterThan(0);
  for (const name of used) expect(indexNames).toContain(name);
}

const range = { from: new Date(Date.UTC(2026, 2, 1)), to: new Date(Date.UTC(2026, 2, 3)) };
const day = (d: number) => new Date(Date.UTC(2026, 2, d));

describe('explain', () => {
  it('/pageviews list (agency, time range, cursor)', async () => {
    const q = mongoFilter({ agencyId: 'acme', ...range });
    q.$or = [{ startedAt: { $lt: day(2) } }, { startedAt: day(2), _id: { $lt: 'acme:x' } }];
    const explain = await t.hub.db.models.pageviews
      .find(q)
      .sort({ startedAt: -1, _id: -1 })
      .limit(101)
      .explain('queryPlanner');
    expectIndexed(explain, ['agencyId_1_startedAt_-1__id_-1']);
  });

  it('/pageviews of a location user', async () => {
    const explain = await t.hub.db.models.pageviews
      .find(mongoFilter({ agencyId: 'acme', userId: 'u1' }))
      .sort({ startedAt: -1, _id: -1 })
      .limit(101)
      .explain('queryPlanner');
    // MongoDB picks the user index; the embedded server serves any index led by agencyId.
    expectIndexed(explain, [
      'agencyId_1_userId_1_startedAt_-1',
      'agencyId_1_startedAt_-1__id_-1',
      'agencyId_1_locationId_1_startedAt_-1',
    ]);
  });

  it('/export.csv', async () => {
    const q = exportQuery({ agencyId: 'acme', ...range });
    const explain = await t.hub.db.models.pageviews
      .find(q.filter, { sort: q.sort, projection: q.projection })
      .explain('queryPlanner');
    expectIndexed(explain, ['agencyId_1_startedAt_-1__id_-1']);
  });

  it('/summary on user-months, and on rollups when filtered by path', async () => {
    const q = monthQuery({ agencyId: 'acme' }, day(1).getTime(), day(3).getTime());
    expectIndexed(await stats.months.find(q).explain('queryPlanner'), ['agency_month']);
    const byPath = await stats.rollups
      .aggregate(bucketPipeline({ agencyId: 'acme', path: '/contacts' }, 'rollups', [day(1), day(2), day(3)]))
      .explain('queryPlanner');
    // MongoDB picks the path index; the embedded server may serve it from another agency-led one.
    expectIndexed(byPath, ['agency_path_bucket', 'agency_bucket', 'agency_user_bucket', 'agency_location_bucket']);
  });

  it('/top-pages and /users on rollups', async () => {
    expectIndexed(
      await stats.rollups
        .aggregate(pagePipeline({ agencyId: 'acme' }, { source: 'rollups', ...range }))
        .explain('queryPlanner'),
      ['agency_bucket'],
    );
    expectIndexed(
      await stats.rollups
        .aggregate(userPipeline({ agencyId: 'acme' }, { source: 'rollups', ...range }))
        .explain('queryPlanner'),
      ['agency_bucket'],
    );
  });

  it('ragged edges on raw page views', async () => {
    const explain = await t.hub.db.models.pageviews
      .aggregate(
        pagePipeline(
          { agencyId: 'acme' },
          { source: 'pageviews', from: day(1), to: new Date(day(1).getTime() + 600_000) },
        ),
      )
      .explain('queryPlanner');
    expectIndexed(explain, ['agencyId_1_startedAt_-1__id_-1']);
  });

  it('rollup maintenance: changed page views and their recomputation', async () => {
    // The periodic run's (closed page views changed since), and a read's catch-up (one agency, open ones too).
    const queries = [
      ...changedQueries(day(1), {}),
      ...changedQueries(day(1), { open: true }),
      ...changedQueries(day(1), { agencyId: 'acme', open: true }),
    ];
    expect(queries).toHaveLength(5);
    for (const { filter, hint } of queries)
      expectIndexed(await t.hub.db.models.pageviews.find(filter).hint(hint).explain('queryPlanner'), [
        'updatedAt_1',
        'endedAt_1_aliveAt_1',
        'agencyId_1_endedAt_1',
      ]);
    const recompute = { agencyId: 'acme', $or: [{ userId: 'u1', startedAt: { $gte: day(1), $lt: day(2) } }] };
    expectIndexed(await t.hub.db.models.pageviews.find(recompute).explain('queryPlanner'), [
      'agencyId_1_userId_1_startedAt_-1',
      'agencyId_1_startedAt_-1__id_-1',
      'agencyId_1_locationId_1_startedAt_-1',
    ]);
  });
});
