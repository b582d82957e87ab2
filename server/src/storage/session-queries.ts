import { DEVICE_CLASSES, type SessionDetail, type SessionItem } from '@activity-hub/protocol';
import { encodeSessionId, type SessionRef } from '../domain/activity-ports.ts';
import type { HistoryFilter, PageCursor } from '../domain/history-ports.ts';
import type { Models, PageviewDoc, SessionDoc } from './models.ts';
import { toItem } from './pageview-docs.ts';

/** With a `path` filter, sessions examined per request at most (a page may come back short). */
const PATH_SCAN_MAX = 2_000;
const PATH_SCAN_BATCH = 200;
/** Slack on a session's last sign of life when bounding its page views' start. */
const SLACK_MS = 60_000;

type Pv = Pick<PageviewDoc, 'userId' | 'sessionId' | 'path' | 'startedAt' | 'lastSeenAt' | 'engagedMs'>;
const pairKey = (userId: string, tabId: string) => JSON.stringify([userId, tabId]);
const device = (d: string): SessionItem['device'] =>
  (DEVICE_CLASSES as readonly string[]).includes(d) ? (d as SessionItem['device']) : 'unknown';

/** The scope and time range of a sessions query (sessions carry no path). */
function sessionFilter(f: HistoryFilter, after: PageCursor | null): Record<string, unknown> {
  const q: Record<string, unknown> = { agencyId: f.agencyId };
  if (f.userId) q.userId = f.userId;
  if (f.locationId) q.locationId = f.locationId;
  if (f.from || f.to) {
    const range: Record<string, Date> = {};
    if (f.from) range.$gte = f.from;
    if (f.to) range.$lt = f.to;
    q.startedAt = range;
  }
  if (after) {
    const t = new Date(after.startedAt);
    q.$or = [{ startedAt: { $lt: t } }, { startedAt: t, _id: { $lt: after.key } }];
  }
  return q;
}

/** The page views of these sessions, grouped by (user, tab), oldest first; one indexed query. */
async function pageviewsOf(models: Models, agencyId: string, sessions: SessionDoc[]): Promise<Map<string, Pv[]>> {
  const out = new Map<string, Pv[]>();
  if (sessions.length === 0) return out;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of sessions) {
    lo = Math.min(lo, s.startedAt.getTime());
    hi = Math.max(hi, s.lastSeenAt.getTime(), s.endedAt?.getTime() ?? 0);
  }
  const docs = await models.pageviews
    .find(
      {
        agencyId,
        userId: { $in: [...new Set(sessions.map((s) => s.userId))] },
        startedAt: { $gte: new Date(lo), $lte: new Date(hi + SLACK_MS) },
        sessionId: { $in: [...new Set(sessions.map((s) => s.id))] },
      },
      {
        projection: { _id: 0, userId: 1, sessionId: 1, path: 1, startedAt: 1, lastSeenAt: 1, engagedMs: 1 },
        sort: { startedAt: 1 },
      },
    )
    .toArray();
  for (const d of docs) {
    const k = pairKey(d.userId, d.sessionId);
    const list = out.get(k) ?? [];
    list.push(d);
    out.set(k, list);
  }
  return out;
}

/** A stored session and its page views, as the API shows it. */
export function toSessionItem(s: SessionDoc, pvs: readonly Pv[]): SessionItem {
  return {
    id: encodeSessionId({ userId: s.userId, tabId: s.id }),
    tabId: s.id,
    userId: s.userId,
    name: s.userName ?? '',
    locationId: s.locationId ?? null,
    device: device(s.device),
    startedAt: s.startedAt.toISOString(),
    // Heartbeats move a page view's lastSeenAt, not its session's (see tracking-writes.ts).
    lastSeenAt: new Date(
      pvs.reduce((t, p) => Math.max(t, p.lastSeenAt.getTime()), s.lastSeenAt.getTime()),
    ).toISOString(),
    endedAt: s.endedAt ? s.endedAt.toISOString() : null,
    engagedMs: pvs.reduce((n, p) => n + (p.engagedMs ?? 0), 0),
    pageviews: pvs.length,
    entryPath: pvs[0]?.path ?? null,
    exitPath: pvs[pvs.length - 1]?.path ?? null,
  };
}

const cursorOf = (s: SessionDoc): PageCursor => ({ startedAt: s.startedAt.getTime(), key: s._id });
const find = (models: Models, q: Record<string, unknown>, limit: number) =>
  models.sessions.find(q, { sort: { startedAt: -1, _id: -1 }, limit }).toArray();

/**
 * One page of sessions, newest first, keyed like `/pageviews` by (startedAt, _id). With a path
 * filter sessions are examined in batches until the page is full or PATH_SCAN_MAX were seen;
 * the cursor then points after the last one examined, so following it never skips any.
 */
export async function listSessions(models: Models, f: HistoryFilter, limit: number, after: PageCursor | null) {
  if (!f.path) {
    const docs = await find(models, sessionFilter(f, after), limit + 1);
    const page = docs.slice(0, limit);
    const pvs = await pageviewsOf(models, f.agencyId, page);
    const last = page[page.length - 1];
    return {
      items: page.map((s) => toSessionItem(s, pvs.get(pairKey(s.userId, s.id)) ?? [])),
      next: docs.length > limit && last ? cursorOf(last) : null,
    };
  }
  const items: SessionItem[] = [];
  let pos = after;
  let scanned = 0;
  while (scanned < PATH_SCAN_MAX) {
    const batch = await find(models, sessionFilter(f, pos), PATH_SCAN_BATCH);
    const pvs = await pageviewsOf(models, f.agencyId, batch);
    for (const s of batch) {
      const list = pvs.get(pairKey(s.userId, s.id)) ?? [];
      scanned++;
      pos = cursorOf(s);
      if (list.some((p) => p.path === f.path)) items.push(toSessionItem(s, list));
      if (items.length === limit) return { items, next: pos };
    }
    if (batch.length < PATH_SCAN_BATCH) return { items, next: null };
  }
  return { items, next: pos };
}

/** One session of the agency with its page views (oldest first); null when there is none. */
export async function sessionDetail(models: Models, agencyId: string, ref: SessionRef): Promise<SessionDetail | null> {
  const s = await models.sessions.findOne({ agencyId, userId: ref.userId, id: ref.tabId });
  if (!s) return null;
  const docs = await models.pageviews
    .find(
      {
        agencyId,
        userId: ref.userId,
        startedAt: { $gte: s.startedAt },
        sessionId: ref.tabId,
      },
      { projection: { eventIds: 0 }, sort: { startedAt: 1, _id: 1 }, limit: 5_000 },
    )
    .toArray();
  return { session: toSessionItem(s, docs), pageviews: docs.map(toItem) };
}
