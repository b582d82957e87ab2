import type { Directory } from '@activity-hub/protocol';
import type { HistoryFilter, PageCursor } from '../domain/history-ports.ts';
import type { Models } from './models.ts';
import { toItem } from './pageview-docs.ts';

/** The MongoDB filter for a scoped history query; uses the agency+time indexes. */
export function mongoFilter(f: HistoryFilter): Record<string, unknown> {
  const q: Record<string, unknown> = { agencyId: f.agencyId };
  if (f.userId) q.userId = f.userId;
  if (f.locationId) q.locationId = f.locationId;
  if (f.path) q.path = f.path;
  if (f.from || f.to) {
    const range: Record<string, Date> = {};
    if (f.from) range.$gte = f.from;
    if (f.to) range.$lt = f.to;
    q.startedAt = range;
  }
  return q;
}

/**
 * One page of page views, newest first. The cursor is the last (startedAt, _id) seen, so pages
 * stay stable while new data arrives at the head.
 */
export async function listPageviews(models: Models, f: HistoryFilter, limit: number, after: PageCursor | null) {
  const q = mongoFilter(f);
  if (after) {
    const t = new Date(after.startedAt);
    q.$or = [{ startedAt: { $lt: t } }, { startedAt: t, _id: { $lt: after.key } }];
  }
  const docs = await models.pageviews
    .find(q, { projection: { seqFloor: 0, seqs: 0 }, sort: { startedAt: -1, _id: -1 }, limit: limit + 1 })
    .toArray();
  const page = docs.slice(0, limit);
  const last = page[page.length - 1];
  const next: PageCursor | null =
    docs.length > limit && last ? { startedAt: last.startedAt.getTime(), key: last._id } : null;
  return { items: page.map(toItem), next };
}

/** Locations and users in scope, for the dashboard's filter pickers. */
export async function directory(models: Models, f: HistoryFilter): Promise<Directory> {
  const match: Record<string, unknown> = { agencyId: f.agencyId };
  if (f.userId) match.userId = f.userId;
  const rows = await models.sessions
    .aggregate<{ _id: { userId: string; locationId: string | null }; name: string; last: Date }>([
      { $match: match },
      {
        $group: {
          _id: { userId: '$userId', locationId: '$locationId' },
          name: { $last: '$userName' },
          last: { $max: '$lastSeenAt' },
        },
      },
      { $sort: { last: -1 } },
      { $limit: 5_000 },
    ])
    .toArray();
  const users = new Map<string, Directory['users'][number]>();
  const locations = new Map<string, Set<string>>();
  for (const r of rows) {
    if (!users.has(r._id.userId))
      users.set(r._id.userId, { userId: r._id.userId, name: r.name, locationId: r._id.locationId });
    if (r._id.locationId) {
      const set = locations.get(r._id.locationId) ?? new Set<string>();
      set.add(r._id.userId);
      locations.set(r._id.locationId, set);
    }
  }
  return {
    locations: [...locations]
      .map(([locationId, u]) => ({ locationId, users: u.size }))
      .sort((a, b) => a.locationId.localeCompare(b.locationId)),
    users: [...users.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}
