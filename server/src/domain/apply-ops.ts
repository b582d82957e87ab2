import type { TrackingRepository } from './ports.ts';
import type { WriteOp } from './tracking-types.ts';

/**
 * Applies one flush and settles any credit conflicts (event ids another instance stored
 * first) before the batch's acks go out.
 */
export async function applyOps(repo: TrackingRepository, ops: WriteOp[]): Promise<void> {
  const { conflicts } = await repo.applyBatch(ops);
  for (const c of conflicts) await repo.resolveConflict(c);
}
