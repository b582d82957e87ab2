import { rollupId, type RollupKey } from './rollup-keys.ts';
import type { ChangedScope, JobStateStore, RollupStore } from './stats-ports.ts';

/** The job's name in the shared job state (lease and watermark). */
export const ROLLUP_JOB = 'rollups';

export interface RollupRunStats {
  changed: number;
  keys: number;
  written: number;
  deleted: number;
}

/**
 * Page view states this process has rolled up (id -> `updatedAt`, open or not, and the agency),
 * which a pass may read again: closed ones inside the margin; open ones at every catch-up, for
 * as long as they stay open. Skipping them is safe: the recomputation that followed read at
 * least that state, and a late write to a neighbour in the same rollup shows up as a change of
 * its own. Closed states go once they are behind the margin; open ones once a read of their
 * scope no longer finds them open, so there are never many more than open tabs.
 */
export type RolledUp = Map<string, RolledUpState>;

interface RolledUpState {
  at: number;
  open: boolean;
  agencyId: string;
}

export interface RollupPassOptions {
  marginMs: number;
  batchKeys: number;
  levelKeys?: number;
  clock: () => number;
}

/**
 * One pass of the rollup job (rollup-job.ts), over every agency or one: reads the page views
 * changed since the watermark (minus the margin), recomputes their rollups in batches and
 * refreshes the levels above, each step through `step` (which paces it); `recent` holds the
 * page view states already rolled up, and gets those of this pass once their levels are done.
 * Only a pass over every agency moves the watermark.
 *
 * With `open` false (the periodic pass) it leaves open page views alone. An open page view
 * changes with every heartbeat, so a periodic pass recomputed nearly every open tab's rollup
 * and levels once a minute, only for them to change again; it now waits for the close. No open
 * state is lost by that: every page view is closed in the end (by its tab, or by the sweeper
 * of whichever instance runs), and a close stamps `updatedAt`. A catch-up (`open` true: before
 * a read) takes every open page view whose state it has not rolled up yet.
 */
export async function rollupPass(
  store: RollupStore,
  state: JobStateStore,
  opts: RollupPassOptions,
  recent: RolledUp,
  step: <T>(work: () => Promise<T>) => Promise<T>,
  scope: ChangedScope & { open: boolean },
): Promise<RollupRunStats> {
  const { marginMs, batchKeys, clock } = opts;
  const watermark = await state.watermark(ROLLUP_JOB);
  const since = Math.max(0, (watermark ?? 0) - marginMs);
  for (const [id, s] of recent) if (!s.open && s.at < since) recent.delete(id);
  const stats: RollupRunStats = { changed: 0, keys: 0, written: 0, deleted: 0 };
  let newest = watermark ?? 0;
  let pending = new Map<string, RollupKey>();
  let pendingIds: [string, RolledUpState][] = [];
  // Rollups recomputed whose levels are not refreshed yet, and the page view states behind them:
  // those go into `recent` only once the levels are done too.
  let levels = new Map<string, RollupKey>();
  let levelIds: [string, RolledUpState][] = [];
  const refresh = async () => {
    await store.refreshLevels([...levels.values()], step);
    for (const [id, rolled] of levelIds) recent.set(id, rolled);
    levels = new Map();
    levelIds = [];
  };
  const flush = async () => {
    const keys = [...pending.values()];
    const r = await step(() => store.recomputeRollups(keys));
    stats.keys += pending.size;
    stats.written += r.written;
    stats.deleted += r.deleted;
    for (const [id, k] of pending) levels.set(id, k);
    for (const x of pendingIds) levelIds.push(x);
    pending = new Map();
    pendingIds = [];
    if (levels.size >= (opts.levelKeys ?? 200_000)) await refresh();
  };
  const stillOpen = scope.open ? new Set<string>() : null;
  for await (const { id, key, updatedAt, open } of store.changedSince(new Date(since), scope)) {
    if (open) stillOpen?.add(id);
    else newest = Math.max(newest, updatedAt);
    // Re-read because of the margin, or open and unchanged, but this process already rolled up
    // exactly this state. A close may carry the same `updatedAt` as the open state before it
    // (one flush stamps a credit and the end alike): then it is a state of its own.
    const rolled = recent.get(id);
    if (rolled?.at === updatedAt && rolled.open === open) continue;
    stats.changed++;
    pending.set(rollupId(key), key);
    pendingIds.push([id, { at: updatedAt, open, agencyId: key.agencyId }]);
    if (pending.size >= batchKeys) await flush();
  }
  if (pending.size > 0) await flush();
  if (levels.size > 0) await refresh();
  if (stillOpen)
    for (const [id, s] of recent)
      if (s.open && !stillOpen.has(id) && (scope.agencyId === undefined || s.agencyId === scope.agencyId))
        recent.delete(id);
  // Never past our own clock: a page view stamped in the future by a skewed instance must not
  // make us skip writes stamped correctly in between; it is simply re-read until then.
  // One agency's catch-up leaves the watermark to the runs that read every agency.
  const next = Math.min(newest, clock());
  if (scope.agencyId === undefined && next > (watermark ?? -1)) await state.advanceWatermark(ROLLUP_JOB, next);
  return stats;
}
