// The live store's presence map as a pure reducer: what each socket message does to it, and how
// deltas that overtook a snapshot are replayed over it (by updatedAt, older copies dropped).
// No socket here; tests/browser/live-snapshot-race.test.ts covers the same race end to end.
import { describe, expect, it } from 'vitest';
import type { PresenceEntry, PresenceSnapshot } from '@activity-hub/protocol';
import {
  INITIAL_LIVE_STATE,
  liveReducer,
  REMOVALS_KEPT,
  replayDeltas,
  type LiveEvent,
  type LiveState,
} from '../../client/src/lib/live-reducer.ts';

function entry(sessionId: string, updatedAt: number, path = '/'): PresenceEntry {
  return {
    sessionId,
    userId: `u-${sessionId}`,
    name: sessionId,
    agencyId: 'a',
    locationId: 'l',
    pageviewId: `pv-${sessionId}-${updatedAt}`,
    path,
    title: path,
    onlineSince: 0,
    pageSince: 0,
    engagedMs: 0,
    state: 'active',
    device: 'desktop',
    updatedAt,
  };
}

const upsert = (e: PresenceEntry): LiveEvent => ({ kind: 'upsert', entry: e });
const remove = (sessionId: string, at: number): LiveEvent => ({
  kind: 'remove',
  removal: { sessionId, userId: `u-${sessionId}`, at },
});
const snapshot = (...entries: PresenceEntry[]): LiveEvent => ({
  kind: 'snapshot',
  snapshot: { entries, serverTime: 1_000 } satisfies PresenceSnapshot,
});

const run = (events: LiveEvent[], from: LiveState = INITIAL_LIVE_STATE): LiveState => events.reduce(liveReducer, from);
const shown = (state: LiveState): Record<string, number> =>
  Object.fromEntries([...state.entries].map(([id, e]) => [id, e.updatedAt]));

describe('liveReducer', () => {
  it('keeps the newer copy of a tab and removes a tab at once', () => {
    const state = run([upsert(entry('a', 20)), upsert(entry('a', 10)), upsert(entry('b', 5)), remove('b', 1)]);
    expect(shown(state)).toEqual({ a: 20 });
    expect(state.pending).toBeNull(); // Nothing is kept while no snapshot is due.
  });

  it('replaces the map with a snapshot, keeping a current copy newer than the snapshot one', () => {
    const before = run([upsert(entry('gone', 1)), upsert(entry('fresh', 50)), upsert(entry('stale', 1))]);
    const state = run([snapshot(entry('fresh', 40), entry('stale', 30), entry('new', 10))], before);
    expect(shown(state)).toEqual({ fresh: 50, stale: 30, new: 10 });
    expect(state.loaded).toBe(true);
  });

  it('replays deltas that overtook the snapshot: a tab that left stays gone, one that arrived stays', () => {
    const state = run([
      snapshot(entry('tim', 10)), // the first connection's map
      { kind: 'connected' },
      remove('tim', 20),
      upsert(entry('uma', 25)),
      snapshot(entry('tim', 15)), // read before Tim left
    ]);
    expect(shown(state)).toEqual({ uma: 25 });
    expect(state.pending).toBeNull();
    expect(state.snapshotsDue).toBe(0);
  });

  it('drops buffered deltas older than the snapshot copy', () => {
    const state = run([
      { kind: 'connected' },
      upsert(entry('a', 10, '/old')),
      remove('b', 5), // b came back after this removal; the snapshot has the newer tab
      snapshot(entry('a', 30, '/new'), entry('b', 8)),
    ]);
    expect(shown(state)).toEqual({ a: 30, b: 8 });
    expect(state.entries.get('a')?.path).toBe('/new');
  });

  it('keeps buffering until every due snapshot is in, and a failed sync counts as one', () => {
    let state = run([{ kind: 'connected' }, { kind: 'sync-requested' }, upsert(entry('a', 10))]);
    expect(state.snapshotsDue).toBe(2);
    state = run([snapshot(), remove('a', 20)], state);
    expect(state.pending).toHaveLength(2); // one more snapshot is due: keep replaying
    expect(shown(state)).toEqual({});
    state = run([snapshot(entry('a', 15))], state);
    expect(shown(state)).toEqual({});
    expect(state.pending).toBeNull();

    state = run([{ kind: 'connected' }, { kind: 'sync-requested' }, { kind: 'sync-failed' }], state);
    expect(state.snapshotsDue).toBe(1);
    expect(state.pending).toEqual([]);
    state = run([{ kind: 'sync-failed' }], state);
    expect(state.pending).toBeNull();
  });

  it('applies gathered progress like the same upserts one by one, and buffers each for the replay', () => {
    const batch = [entry('a', 20), entry('b', 5), entry('a', 15), entry('c', 30)];
    const oneByOne = run([upsert(entry('b', 9)), ...batch.map(upsert)]);
    const gathered = run([upsert(entry('b', 9)), { kind: 'upserts', entries: batch }]);
    expect(shown(gathered)).toEqual(shown(oneByOne));
    expect(shown(gathered)).toEqual({ a: 20, b: 9, c: 30 });

    const older = run([upsert(entry('a', 50))]);
    expect(run([{ kind: 'upserts', entries: [entry('a', 40)] }], older).entries).toBe(older.entries);

    // While a snapshot is due, each entry is kept as its own delta and replayed over it.
    const state = run([{ kind: 'connected' }, { kind: 'upserts', entries: [entry('a', 25), entry('d', 3)] }]);
    expect(state.pending).toHaveLength(2);
    expect(shown(run([snapshot(entry('a', 10))], state))).toEqual({ a: 25, d: 3 });
  });

  it('keeps a removed tab gone when an upsert no newer than its removal arrives late', () => {
    // Another instance's gathered progress can arrive just after this removal.
    let state = run([upsert(entry('a', 10)), remove('a', 20)]);
    state = run([{ kind: 'upserts', entries: [entry('a', 15), entry('b', 15)] }, upsert(entry('a', 20))], state);
    expect(shown(state)).toEqual({ b: 15 });
    // Back for real (newer than its removal): shown again, and no longer held back.
    state = run([upsert(entry('a', 25))], state);
    expect(shown(state)).toEqual({ a: 25, b: 15 });
    expect(state.removed.has('a')).toBe(false);

    // Only the newest removals are remembered.
    const many = run(Array.from({ length: REMOVALS_KEPT + 1 }, (_, i) => remove(`t${i}`, 100)));
    expect(many.removed.size).toBe(REMOVALS_KEPT);
    expect(shown(run([upsert(entry('t0', 50)), upsert(entry('t1', 50))], many))).toEqual({ t0: 50 });
  });

  it('never changes the state it is given', () => {
    const before = run([{ kind: 'connected' }, upsert(entry('a', 10))]);
    const copy = { ...before, entries: new Map(before.entries), pending: [...(before.pending ?? [])] };
    run([upsert(entry('a', 20)), remove('a', 30), snapshot(entry('b', 1))], before);
    expect(before).toEqual(copy);
  });
});

describe('replayDeltas', () => {
  const base = new Map([['a', entry('a', 10)]]);
  const deltas = (events: LiveEvent[]) =>
    events.flatMap((e) => (e.kind === 'upsert' || e.kind === 'remove' ? [e] : []));

  it('applies deltas in updatedAt order, not arrival order', () => {
    // The removal (at 20) arrived before the upsert it is newer than (15): the tab stays gone.
    const gone = replayDeltas(base, deltas([remove('a', 20), upsert(entry('a', 15))]));
    expect(gone.has('a')).toBe(false);
    // An upsert newer than the removal wins, whichever arrived first.
    const back = replayDeltas(base, deltas([upsert(entry('a', 30)), remove('a', 20)]));
    expect(back.get('a')?.updatedAt).toBe(30);
  });

  it('leaves the map alone when every delta is older than it', () => {
    const same = replayDeltas(base, deltas([upsert(entry('a', 5)), remove('a', 9)]));
    expect(same).toBe(base);
  });
});
