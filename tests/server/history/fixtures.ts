import { randomUUID } from 'node:crypto';
import type { Page, PageviewItem } from '@activity-hub/protocol';
import { RollupJob, type RollupJobOptions } from '../../../server/src/domain/rollup-job.ts';
import type { PageviewDoc } from '../../../server/src/storage/models.ts';
import type { RollupKey } from '../../../server/src/domain/rollup-keys.ts';
import type { RollupStore } from '../../../server/src/domain/stats-ports.ts';
import type { StatsStorage } from '../../../server/src/storage/stats-storage.ts';
import { apiGet, devToken, type TestHub } from '../../helpers/hub.ts';

/** What a test says about a page view; everything else gets a plausible default. */
export interface PvSpec {
  agencyId?: string;
  userId: string;
  locationId?: string | null;
  path?: string;
  startedAt: string | Date;
  engagedMs?: number;
  userName?: string;
  title?: string;
  url?: string;
  referrer?: string;
  id?: string;
}

/** A stored page view document, as the tracking pipeline would have written it. */
export function pageviewDoc(s: PvSpec, now = new Date()): PageviewDoc {
  const agencyId = s.agencyId ?? 'acme';
  const id = s.id ?? randomUUID();
  const startedAt = new Date(s.startedAt);
  const engagedMs = s.engagedMs ?? 1_000;
  const endedAt = new Date(startedAt.getTime() + engagedMs + 500);
  const path = s.path ?? '/contacts';
  return {
    _id: `${agencyId}:${id}`,
    id,
    sessionId: randomUUID(),
    userId: s.userId,
    userName: s.userName ?? s.userId,
    agencyId,
    locationId: s.locationId === undefined ? 'loc-1' : s.locationId,
    url: s.url ?? `https://app.example.com${path}`,
    path,
    title: s.title ?? path.slice(1),
    referrer: s.referrer ?? '',
    startedAt,
    lastSeenAt: endedAt,
    aliveAt: endedAt,
    endedAt,
    engagedMs,
    endReason: 'navigate',
    seqFloor: -1,
    seqs: [],
    updatedAt: now,
  };
}

/** Inserts page views straight into the collection (`updatedAt` = now, as a live write would). */
export async function insertPageviews(t: TestHub, specs: PvSpec[]): Promise<PageviewDoc[]> {
  const docs = specs.map((s) => pageviewDoc(s));
  for (let i = 0; i < docs.length; i += 5_000) await t.hub.db.models.pageviews.insertMany(docs.slice(i, i + 5_000));
  return docs;
}

/** A dev-login token for a user of an agency. */
export function tokenFor(
  t: TestHub,
  userId: string,
  opts: { agencyId?: string; locationId?: string } = {},
): Promise<string> {
  const agencyId = opts.agencyId ?? 'acme';
  return opts.locationId
    ? devToken(t.url, { userId, role: 'location', agencyId, locationId: opts.locationId })
    : devToken(t.url, { userId, role: 'agency', agencyId });
}

/** Every page view of a query, following `nextCursor` to the end. */
export async function allPageviews(t: TestHub, token: string, query: Record<string, string>): Promise<PageviewItem[]> {
  const out: PageviewItem[] = [];
  let cursor: string | null = null;
  do {
    const qs: URLSearchParams = new URLSearchParams({ ...query, limit: '500', ...(cursor ? { cursor } : {}) });
    const res: { status: number; body: Page<PageviewItem> } = await apiGet<{
      items: PageviewItem[];
      nextCursor: string | null;
    }>(t.url, `/api/v1/pageviews?${qs}`, token);
    if (res.status !== 200) throw new Error(`pageviews: ${res.status} ${JSON.stringify(res.body)}`);
    out.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor);
  return out;
}

/** GET with a query object; returns status and parsed JSON. */
export function getJson<T = unknown>(t: TestHub, path: string, token: string, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  return apiGet<T>(t.url, `/api/v1${path}${qs ? `?${qs}` : ''}`, token);
}

/** Both halves of a rollup run for these keys: the rollups, then the levels above them. */
export async function recompute(store: RollupStore, keys: RollupKey[]): Promise<{ written: number; deleted: number }> {
  const r = await store.recomputeRollups(keys);
  await store.refreshLevels(keys);
  return r;
}

/**
 * A rollup job over these stores, as another instance would run it (its errors are thrown);
 * `more` sets the options a test is about (`levelKeys`, `busyShare`).
 */
export function rollupJob(
  st: Pick<StatsStorage, 'rollups' | 'jobState'>,
  owner: string,
  batchKeys: number,
  more: Pick<RollupJobOptions, 'levelKeys' | 'busyShare' | 'onRun'> = {},
): RollupJob {
  return new RollupJob(st.rollups, st.jobState, {
    owner,
    intervalMs: 60_000,
    leaseMs: 30_000,
    marginMs: 5_000,
    batchKeys,
    ...more,
    clock: Date.now,
    onError: (e) => {
      throw e;
    },
  });
}
