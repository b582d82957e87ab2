import { randomUUID } from 'node:crypto';
import type { SessionItem } from '@activity-hub/protocol';
import type { PageviewDoc, SessionDoc } from '../../../server/src/storage/models.ts';
import { apiGet, type TestHub } from '../../helpers/hub.ts';
import { pageviewDoc } from './fixtures.ts';

/** A deterministic PRNG (mulberry32), so every run seeds the same activity. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export const PATHS = ['/contacts', '/dashboard', '/opportunities', '/calendar', '/settings/team'];

export interface SeededSession {
  session: SessionDoc;
  pageviews: PageviewDoc[];
}

/**
 * `count` sessions of the given users between `from` and `to`, each of 1–5 page views, written
 * as the tracking pipeline writes them (sessions keyed by agency, user and tab id).
 */
export function buildSessions(opts: {
  agencyId: string;
  users: { userId: string; name?: string; locationId: string | null }[];
  count: number;
  from: number;
  to: number;
  seed: number;
}): SeededSession[] {
  const rnd = prng(opts.seed);
  const out: SeededSession[] = [];
  for (let i = 0; i < opts.count; i++) {
    const user = opts.users[Math.floor(rnd() * opts.users.length)] as (typeof opts.users)[number];
    const tabId = randomUUID();
    // Minute-aligned starts, with some deliberate ties between sessions.
    let at = opts.from + Math.floor(rnd() * ((opts.to - opts.from) / 60_000)) * 60_000;
    const start = at;
    const pageviews: PageviewDoc[] = [];
    const n = 1 + Math.floor(rnd() * 5);
    for (let k = 0; k < n; k++) {
      const engagedMs = 1_000 + Math.floor(rnd() * 120_000);
      const doc = pageviewDoc({
        agencyId: opts.agencyId,
        userId: user.userId,
        userName: user.name ?? user.userId,
        locationId: user.locationId,
        path: PATHS[Math.floor(rnd() * PATHS.length)] as string,
        startedAt: new Date(at),
        engagedMs,
      });
      doc.sessionId = tabId;
      pageviews.push(doc);
      at += engagedMs + 500 + Math.floor(rnd() * 30_000);
    }
    const last = pageviews[pageviews.length - 1] as PageviewDoc;
    out.push({
      session: {
        _id: `${opts.agencyId}:${user.userId}:${tabId}`,
        id: tabId,
        userId: user.userId,
        userName: user.name ?? user.userId,
        agencyId: opts.agencyId,
        locationId: user.locationId,
        userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
        device: 'desktop',
        startedAt: new Date(start),
        lastSeenAt: last.lastSeenAt,
        endedAt: last.endedAt,
      },
      pageviews,
    });
  }
  return out;
}

export async function insertSessions(t: TestHub, seeded: SeededSession[]): Promise<void> {
  const { sessions, pageviews } = t.hub.db.models;
  if (seeded.length === 0) return;
  await sessions.insertMany(seeded.map((s) => s.session));
  await pageviews.insertMany(seeded.flatMap((s) => s.pageviews));
}

/** Every session of a query, following `nextCursor` to the end. */
export async function allSessions(
  t: TestHub,
  token: string,
  query: Record<string, string>,
): Promise<{ items: SessionItem[]; pages: number }> {
  const items: SessionItem[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const qs: URLSearchParams = new URLSearchParams({ ...query, ...(cursor ? { cursor } : {}) });
    const res: { status: number; body: { items: SessionItem[]; nextCursor: string | null } } = await apiGet<{
      items: SessionItem[];
      nextCursor: string | null;
    }>(t.url, `/api/v1/sessions?${qs}`, token);
    if (res.status !== 200) throw new Error(`sessions: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 1_000);
  return { items, pages };
}

/** The expected list order: newest start first, ties by stored `_id` descending. */
export const newestFirst = (a: SeededSession, b: SeededSession): number =>
  b.session.startedAt.getTime() - a.session.startedAt.getTime() ||
  (a.session._id < b.session._id ? 1 : a.session._id > b.session._id ? -1 : 0);
