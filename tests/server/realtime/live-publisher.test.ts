/**
 * RoomPublisher's gathering of heartbeat progress, deterministically: a recording namespace and
 * fake timers. (tests/server/live/live-progress.test.ts runs the same end to end over sockets.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PresenceEntry } from '@activity-hub/protocol';
import { agencyRoom, userRoom } from '../../../server/src/domain/access.ts';
import { PROGRESS_GATHER_MS, RoomPublisher } from '../../../server/src/realtime/live-publisher.ts';
import type { LiveNamespace } from '../../../server/src/realtime/socket-types.ts';

interface Sent {
  rooms: string[];
  event: string;
  body: unknown;
}

/** What the publisher uses of a namespace: `to(rooms).emit(...)` and the adapter's room list. */
function recorder(localRooms: string[] = []) {
  const sent: Sent[] = [];
  const nsp = {
    adapter: { rooms: new Map(localRooms.map((r) => [r, new Set(['socket'])])) },
    to: (rooms: string | string[]) => ({
      emit: (event: string, body: unknown) => void sent.push({ rooms: [rooms].flat(), event, body }),
    }),
  };
  return { sent, nsp: nsp as unknown as LiveNamespace };
}

function entry(agencyId: string, userId: string, sessionId: string, engagedMs = 0): PresenceEntry {
  return {
    sessionId,
    userId,
    name: userId,
    agencyId,
    locationId: null,
    pageviewId: `pv-${sessionId}`,
    path: '/',
    title: '',
    onlineSince: 0,
    pageSince: 0,
    engagedMs,
    state: 'active',
    device: 'desktop',
    updatedAt: engagedMs,
  };
}

const sessionsIn = (s: Sent) => (s.body as PresenceEntry[]).map((e) => `${e.sessionId}@${e.engagedMs}`);

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('RoomPublisher gathering progress', () => {
  it('sends nothing before the gathering time, then one packet per room with the newest entry per tab', () => {
    const { sent, nsp } = recorder();
    const p = new RoomPublisher(nsp, { localRooms: false });
    p.progress(entry('a', 'u1', 's1', 1));
    p.progress(entry('a', 'u2', 's2', 1));
    p.progress(entry('a', 'u1', 's1', 2)); // newer progress of the same tab replaces it
    p.progress(entry('b', 'u1', 's3', 1)); // same user id in another agency
    vi.advanceTimersByTime(PROGRESS_GATHER_MS - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    const byRoom = Object.fromEntries(sent.map((s) => [s.rooms.join(), sessionsIn(s)]));
    expect(sent.every((s) => s.event === 'upserts' && s.rooms.length === 1)).toBe(true);
    expect(byRoom).toEqual({
      [agencyRoom('a')]: ['s1@2', 's2@1'],
      [userRoom('a', 'u1')]: ['s1@2'],
      [userRoom('a', 'u2')]: ['s2@1'],
      [agencyRoom('b')]: ['s3@1'],
      [userRoom('b', 'u1')]: ['s3@1'],
    });
    sent.length = 0;
    vi.advanceTimersByTime(PROGRESS_GATHER_MS * 4);
    expect(sent).toEqual([]); // nothing gathered, no timer, nothing sent
  });

  it("drops a tab's gathered progress when its upsert or removal goes out, and keeps the others", () => {
    const { sent, nsp } = recorder();
    const p = new RoomPublisher(nsp, { localRooms: false });
    p.progress(entry('a', 'u1', 's1', 1));
    p.progress(entry('a', 'u2', 's2', 1));
    p.progress(entry('a', 'u3', 's3', 1));
    p.upsert({ ...entry('a', 'u1', 's1', 5), pageviewId: 'pv-next' });
    p.remove({ agencyId: 'a', sessionId: 's2', userId: 'u2', at: 9 });
    p.feed({
      agencyId: 'a',
      id: 'f',
      at: 9,
      kind: 'offline',
      userId: 'u2',
      name: 'u2',
      locationId: null,
      path: '/',
      title: '',
    });
    expect(sent.map((s) => s.event)).toEqual(['upsert', 'remove', 'feed']); // at once, nothing gathered sent
    vi.advanceTimersByTime(PROGRESS_GATHER_MS);
    const gathered = sent.filter((s) => s.event === 'upserts');
    expect(gathered.map((s) => [s.rooms[0], sessionsIn(s)])).toEqual([
      [agencyRoom('a'), ['s3@1']],
      [userRoom('a', 'u3'), ['s3@1']],
    ]);
  });

  it('sends at once when 1,000 tabs are gathered, and skips rooms without a socket here when rooms are local', () => {
    const { sent, nsp } = recorder([agencyRoom('a'), userRoom('a', 'u7')]);
    const p = new RoomPublisher(nsp, { localRooms: true });
    for (let i = 0; i < 999; i++) p.progress(entry('a', `u${i}`, `s${i}`, 1));
    expect(sent).toEqual([]);
    p.progress(entry('a', 'u999', 's999', 1));
    expect(sent.map((s) => s.rooms[0])).toEqual([agencyRoom('a'), userRoom('a', 'u7')]);
    expect(sessionsIn(sent[0]!)).toHaveLength(1_000);
    expect(sessionsIn(sent[1]!)).toEqual(['s7@1']);
    sent.length = 0;
    vi.advanceTimersByTime(PROGRESS_GATHER_MS);
    expect(sent).toEqual([]);
  });

  it('reports a failed send without stopping the other agencies, and gathers nothing once closed', () => {
    const { sent, nsp } = recorder();
    const failing = {
      ...nsp,
      adapter: nsp.adapter,
      to: (room: string) => {
        if (room === agencyRoom('bad')) throw new Error('encode failed');
        return nsp.to(room);
      },
    } as unknown as LiveNamespace;
    const errors: unknown[] = [];
    const p = new RoomPublisher(failing, { localRooms: false, onError: (e) => errors.push(e) });
    p.progress(entry('bad', 'u1', 's1', 1));
    p.progress(entry('good', 'u2', 's2', 1));
    vi.advanceTimersByTime(PROGRESS_GATHER_MS);
    expect(errors).toHaveLength(1);
    expect(sent.map((s) => s.rooms[0])).toEqual([agencyRoom('good'), userRoom('good', 'u2')]);

    sent.length = 0;
    p.progress(entry('good', 'u2', 's2', 2));
    p.close();
    p.progress(entry('good', 'u2', 's2', 3));
    vi.advanceTimersByTime(PROGRESS_GATHER_MS * 2);
    expect(sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
