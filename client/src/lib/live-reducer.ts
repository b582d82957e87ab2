// What the live socket's messages do to the presence map, as pure functions (no socket, no
// runes): the live store feeds every message through `liveReducer` and renders the result.
//
// The hub joins our rooms before it reads a snapshot, so deltas can overtake the snapshot they
// are newer than. From a connect until its snapshots are in, deltas are kept (`pending`) and
// replayed over each snapshot by `replayDeltas`.
import type { PresenceEntry, PresenceRemoval, PresenceSnapshot } from '@activity-hub/protocol';

export type LiveDelta = { kind: 'upsert'; entry: PresenceEntry } | { kind: 'remove'; removal: PresenceRemoval };

export type LiveEvent =
  | LiveDelta
  /** Several upserts at once (gathered heartbeat progress): the map is copied once for all. */
  | { kind: 'upserts'; entries: readonly PresenceEntry[] }
  /** The socket (re)connected; the hub pushes a snapshot on every connect. */
  | { kind: 'connected' }
  /** We asked for one more snapshot (after a reconnect our map is stale). */
  | { kind: 'sync-requested' }
  /** A requested snapshot will not come (refused or timed out). */
  | { kind: 'sync-failed' }
  | { kind: 'snapshot'; snapshot: PresenceSnapshot };

export interface LiveState {
  /** Keyed by sessionId: one entry per open tab. */
  readonly entries: ReadonlyMap<string, PresenceEntry>;
  /** Deltas since the connect, while a snapshot is due; null when none is. */
  readonly pending: readonly LiveDelta[] | null;
  readonly snapshotsDue: number;
  /** False until the first snapshot, so "nobody online" is not shown before we know. */
  readonly loaded: boolean;
  /**
   * Tabs removed, with the time of their removal (oldest first, at most REMOVALS_KEPT). With
   * several hub instances an instance's gathered progress can arrive just after another's
   * removal of the tab; an upsert no newer than the removal must not bring the tab back.
   */
  readonly removed: ReadonlyMap<string, number>;
}

/** Removals remembered, for upserts that arrive late (see LiveState.removed). */
export const REMOVALS_KEPT = 1_000;

export const INITIAL_LIVE_STATE: LiveState = {
  entries: new Map(),
  pending: null,
  snapshotsDue: 0,
  loaded: false,
  removed: new Map(),
};

export function liveReducer(state: LiveState, event: LiveEvent): LiveState {
  switch (event.kind) {
    case 'connected':
      return { ...state, snapshotsDue: 1, pending: [] };
    case 'sync-requested':
      return { ...state, snapshotsDue: state.snapshotsDue + 1 };
    case 'sync-failed':
      return snapshotDone(state);
    case 'snapshot':
      return snapshotDone({ ...state, entries: applySnapshot(state, event.snapshot), loaded: true });
    case 'upsert':
    case 'upserts': {
      const incoming = event.kind === 'upsert' ? [event.entry] : event.entries;
      const fresh = incoming.filter((e) => !removedSince(state.removed, e));
      if (fresh.length === 0) return state;
      const deltas = fresh.map((entry): LiveDelta => ({ kind: 'upsert', entry }));
      return {
        ...state,
        entries: upsertAll(state.entries, fresh),
        pending: state.pending && [...state.pending, ...deltas],
        removed: forgetRemovals(state.removed, fresh),
      };
    }
    case 'remove': {
      const entries = remove(state.entries, event.removal);
      return {
        ...state,
        entries,
        pending: state.pending && [...state.pending, event],
        removed: rememberRemoval(state.removed, event.removal),
      };
    }
  }
}

/**
 * Replays deltas over a snapshot in `updatedAt` order (a removal counts at its `at`). A delta
 * older than the copy it would replace is dropped: an upsert only replaces an older copy, and a
 * removal only removes a copy no newer than itself (the tab may be back since).
 */
export function replayDeltas(
  entries: ReadonlyMap<string, PresenceEntry>,
  deltas: readonly LiveDelta[],
): ReadonlyMap<string, PresenceEntry> {
  // Array sort is stable: deltas with the same time keep their arrival order.
  const ordered = [...deltas].sort((a, b) => deltaTime(a) - deltaTime(b));
  return ordered.reduce(
    (map, delta) => (delta.kind === 'upsert' ? upsert(map, delta.entry) : remove(map, delta.removal, delta.removal.at)),
    entries,
  );
}

function deltaTime(delta: LiveDelta): number {
  return delta.kind === 'upsert' ? delta.entry.updatedAt : delta.removal.at;
}

/** The snapshot's entries (a current copy newer than the snapshot's stays), then the pending deltas. */
function applySnapshot(state: LiveState, snapshot: PresenceSnapshot): ReadonlyMap<string, PresenceEntry> {
  const incoming = new Set(snapshot.entries.map((entry) => entry.sessionId));
  const kept = new Map([...state.entries].filter(([sessionId]) => incoming.has(sessionId)));
  const merged = snapshot.entries.reduce<ReadonlyMap<string, PresenceEntry>>(upsert, kept);
  return replayDeltas(merged, state.pending ?? []);
}

function snapshotDone(state: LiveState): LiveState {
  const snapshotsDue = state.snapshotsDue - 1;
  return { ...state, snapshotsDue, pending: snapshotsDue <= 0 ? null : state.pending };
}

/** Sets the entry unless the map holds a newer copy (an upsert that raced ahead of a snapshot). */
function upsert(entries: ReadonlyMap<string, PresenceEntry>, entry: PresenceEntry): ReadonlyMap<string, PresenceEntry> {
  return upsertAll(entries, [entry]);
}

/** Whether the entry's tab was removed at or after the entry's time (a late upsert). */
function removedSince(removed: ReadonlyMap<string, number>, e: PresenceEntry): boolean {
  const at = removed.get(e.sessionId);
  return at !== undefined && at >= e.updatedAt;
}

function rememberRemoval(removed: ReadonlyMap<string, number>, r: PresenceRemoval): ReadonlyMap<string, number> {
  const next = new Map(removed);
  next.delete(r.sessionId); // re-inserted last: the map stays oldest first
  next.set(r.sessionId, Math.max(r.at, removed.get(r.sessionId) ?? -Infinity));
  for (const oldest of next.keys()) {
    if (next.size <= REMOVALS_KEPT) break;
    next.delete(oldest);
  }
  return next;
}

/** A tab back after its removal (an upsert newer than it) is no longer held back. */
function forgetRemovals(
  removed: ReadonlyMap<string, number>,
  back: readonly PresenceEntry[],
): ReadonlyMap<string, number> {
  if (!back.some((e) => removed.has(e.sessionId))) return removed;
  const next = new Map(removed);
  for (const e of back) next.delete(e.sessionId);
  return next;
}

/** `upsert` of each entry, copying the map at most once. */
function upsertAll(
  entries: ReadonlyMap<string, PresenceEntry>,
  incoming: readonly PresenceEntry[],
): ReadonlyMap<string, PresenceEntry> {
  let next: Map<string, PresenceEntry> | null = null;
  for (const e of incoming) {
    const current = (next ?? entries).get(e.sessionId);
    if (current && current.updatedAt > e.updatedAt) continue;
    (next ??= new Map(entries)).set(e.sessionId, e);
  }
  return next ?? entries;
}

/** Removes the tab; with `notAfter`, only a copy no newer than that. */
function remove(
  entries: ReadonlyMap<string, PresenceEntry>,
  removal: PresenceRemoval,
  notAfter = Infinity,
): ReadonlyMap<string, PresenceEntry> {
  const current = entries.get(removal.sessionId);
  if (!current || current.updatedAt > notAfter) return entries;
  const next = new Map(entries);
  next.delete(removal.sessionId);
  return next;
}
