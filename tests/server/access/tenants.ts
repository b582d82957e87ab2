import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { devToken, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';

/** One seeded person. `marker` appears in their name and in every path they visit. */
export interface Person {
  key: string;
  userId: string;
  name: string;
  role: 'agency' | 'location';
  agencyId: string;
  locationId: string | null;
  marker: string;
  token: string;
  tracker: FakeTracker;
  /** Their page views: the first closed (navigate), the second still open (online). */
  pageviewIds: string[];
  tabId: string;
}

export type Cast = Record<'bossA' | 'ada' | 'cat' | 'bob' | 'bossB' | 'adaB' | 'eve', Person>;

/**
 * Two agencies. In A: an agency user, Ada and her colleague Cat (same location), Bob elsewhere.
 * In B: an agency user, a namesake of Ada (same user id and location id as A's Ada: ids are only
 * unique within an agency) and Eve. Unique agency ids keep runs apart.
 */
export function castSpec() {
  const tag = randomUUID().slice(0, 6);
  const A = `agA-${tag}`;
  const B = `agB-${tag}`;
  return {
    bossA: { userId: 'boss', role: 'agency', agencyId: A, locationId: null },
    ada: { userId: 'u-ada', role: 'location', agencyId: A, locationId: 'loc-north' },
    cat: { userId: 'u-cat', role: 'location', agencyId: A, locationId: 'loc-north' },
    bob: { userId: 'u-bob', role: 'location', agencyId: A, locationId: 'loc-south' },
    bossB: { userId: 'boss', role: 'agency', agencyId: B, locationId: null },
    adaB: { userId: 'u-ada', role: 'location', agencyId: B, locationId: 'loc-north' },
    eve: { userId: 'u-eve', role: 'location', agencyId: B, locationId: 'loc-east' },
  } as const;
}

/** Each person signs in, opens a tracker and makes two page views with engaged time, so every route has something to leak. */
export async function seedCast(t: TestHub): Promise<Cast> {
  const spec = castSpec();
  const entries = await Promise.all(
    Object.entries(spec).map(async ([key, s]) => {
      const marker = `~${s.agencyId}~${s.userId}~`;
      const name = `Name ${marker}`;
      const token = await devToken(t.url, { ...s, name });
      const tracker = await FakeTracker.connect(t.url, token);
      const p1 = tracker.pageview(`/one/${marker}`, { title: `One ${marker}` });
      expect(await tracker.send(p1)).toEqual({ ok: true });
      expect(await tracker.send(tracker.heartbeat(p1.id, 300))).toEqual({ ok: true });
      const p2 = tracker.pageview(`/two/${marker}`, { title: `Two ${marker}` });
      expect(await tracker.send(p2)).toEqual({ ok: true });
      expect(await tracker.send(tracker.heartbeat(p2.id, 200))).toEqual({ ok: true });
      const person: Person = {
        key,
        ...s,
        name,
        marker,
        token,
        tracker,
        pageviewIds: [p1.id, p2.id],
        tabId: tracker.tabId,
      };
      return [key, person] as const;
    }),
  );
  return Object.fromEntries(entries) as Cast;
}

/** Everyone in `cast` whose marker occurs in `text`. */
export function markersIn(cast: Cast, text: string): string[] {
  return Object.values(cast)
    .filter((p) => text.includes(p.marker))
    .map((p) => p.key)
    .sort();
}

/** The people a caller may see: their whole agency, or only themselves. */
export function scopeOf(cast: Cast, caller: Person): Person[] {
  return Object.values(cast).filter(
    (p) => p.agencyId === caller.agencyId && (caller.role === 'agency' || p.userId === caller.userId),
  );
}

/** Asserts an error body is our generic shape, with no stack trace or internals. */
export function expectCleanError(body: unknown, code?: string): void {
  const b = body as { error?: { code?: unknown; message?: unknown } };
  expect(Object.keys(b)).toEqual(['error']);
  if (code) expect(b.error?.code).toBe(code);
  expect(typeof b.error?.message).toBe('string');
  expectNoInternals(JSON.stringify(body));
}

/** Text that must never reach a client: stack frames, file paths, driver and library names. */
export function expectNoInternals(text: string): void {
  expect(text).not.toMatch(
    /\n\s+at |\bat .+:\d+:\d+|node_modules|\/work\/|\.ts:\d|[A-Za-z]+Error\b|Mongo|mongoose|jose|ECONN|stack/,
  );
}

export function closeCast(cast: Cast | undefined): void {
  for (const p of Object.values(cast ?? {})) p.tracker.close();
}
