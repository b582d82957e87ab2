/**
 * Engaged-time accounting on the hub's clock. The tracker claims engaged milliseconds; the hub
 * credits at most the wall time it saw pass, so no client can claim more time than passed.
 */
export interface EngagementState {
  startedAt: number;
  /** Latest evidence (event time on the hub's clock) seen for the page view. */
  lastSeenAt: number;
  engagedMs: number;
  endedAt: number | null;
}

/**
 * How many of `claimedMs` to credit for evidence at `at`.
 * - In order: at most the time since the previous evidence, plus `toleranceMs`.
 * - Out of order (late delivery of an older event): only what the page view's total wall
 *   time still allows, so reordering neither loses nor invents time.
 * - Never more than (last evidence − start + tolerance) in total, never negative.
 */
export function creditEngaged(state: EngagementState, claimedMs: number, at: number, toleranceMs: number): number {
  if (!Number.isFinite(claimedMs) || claimedMs <= 0) return 0;
  const end = state.endedAt ?? Math.max(state.lastSeenAt, at);
  const evidence = Math.min(at, end);
  const totalBudget = Math.max(
    0,
    Math.max(state.lastSeenAt, evidence) - state.startedAt + toleranceMs - state.engagedMs,
  );
  const intervalBudget =
    evidence >= state.lastSeenAt ? evidence - state.lastSeenAt + toleranceMs : Number.POSITIVE_INFINITY;
  return Math.max(0, Math.floor(Math.min(claimedMs, totalBudget, intervalBudget)));
}

/**
 * Turns the tracker's `ageMs` into a time on the hub's clock, bounded so that a client can
 * neither move an event into the future nor before the page view started.
 */
export function eventTime(now: number, ageMs: number | undefined, notBefore?: number): number {
  const at = now - Math.max(0, ageMs ?? 0);
  return notBefore === undefined ? at : Math.max(at, Math.min(notBefore, now));
}
