import { rollupId, type RollupKey } from './rollup-keys.ts';
import type { JobStateStore, RollupStore } from './stats-ports.ts';

/** The job's name in the shared job state (lease and watermark). */
export const ROLLUP_JOB = 'rollups';

export interface RollupRunStats {
  changed: number;
  keys: number;
  written: number;
  deleted: number;
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
 */
export async function rollupPass(
  store: RollupStore,
  state: JobStateStore,
  opts: RollupPassOptions,
  recent: Map<string, number>,
  step: <T>(work: () => Promise<T>) => Promise<T>,
  agencyId?: string,
): Promise<RollupRunStats> {
  const { marginMs, batchKeys, clock } = opts;
  const watermark = await state.watermark(ROLLUP_JOB);
  const since = Math.max(0, (watermark ?? 0) - marginMs);
  for (const [id, at] of recent) if (at < since) recent.delete(id);
  const stats: RollupRunStats = { changed: 0, keys: 0, written: 0, deleted: 0 };
  let newest = watermark ?? 0;
  let pending = new Map<string, RollupKey>();
  let pendingIds: [string, number][] = [];
  // Rollups recomputed whose levels are not refreshed yet, and the page view states behind them:
  // those go into `recent` only once the levels are done too.
  let levels = new Map<string, RollupKey>();
  let levelIds: [string, number][] = [];
  const refresh = async () => {
    await store.refreshLevels([...levels.values()], step);
    for (const [id, at] of levelIds) recent.set(id, at);
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
  for await (const { id, key, updatedAt } of store.changedSince(new Date(since), agencyId)) {
    newest = Math.max(newest, updatedAt);
    // Re-read because of the margin, but this process already rolled up exactly this state.
    if (recent.get(id) === updatedAt) continue;
    stats.changed++;
    pending.set(rollupId(key), key);
    pendingIds.push([id, updatedAt]);
    if (pending.size >= batchKeys) await flush();
  }
  if (pending.size > 0) await flush();
  if (levels.size > 0) await refresh();
  // Never past our own clock: a page view stamped in the future by a skewed instance must not
  // make us skip writes stamped correctly in between; it is simply re-read until then.
  // One agency's catch-up leaves the watermark to the runs that read every agency.
  const next = Math.min(newest, clock());
  if (agencyId === undefined && next > (watermark ?? -1)) await state.advanceWatermark(ROLLUP_JOB, next);
  return stats;
}
