import type { PresenceState } from '../../protocol/src/presence.ts';

/** Engaged-time accounting on a monotonic clock; the caller passes `performance.now()` values. */
export interface Engagement {
  /** Idle threshold in ms: time after the last input that still counts. */
  idleMs: number;
  /** Records the page's visibility and focus at `now` and returns the resulting state. */
  update(now: number, visible: boolean, focused: boolean): PresenceState;
  /** Records user input at `now`. */
  input(now: number): void;
  /** Returns the whole engaged ms counted so far and starts counting afresh (the remainder carries). */
  take(now: number): number;
}

/**
 * Time counts only while the page is visible, focused, and the last input was less than
 * `idleMs` ago. Starts visible, focused and with input at `start` (a page load is activity).
 */
export function createEngagement(idleMs: number, start: number): Engagement {
  let visible = true;
  let focused = true;
  let lastInput = start;
  let since = start;
  let total = 0;

  // Adds the engaged part of [since, now] to the total.
  const settle = (now: number): void => {
    if (visible && focused) total += Math.max(0, Math.min(now, lastInput + clock.idleMs) - since);
    since = Math.max(since, now);
  };

  const clock: Engagement = {
    idleMs,
    update(now, v, f) {
      settle(now);
      visible = v;
      focused = f;
      return !v ? 'hidden' : f && now - lastInput < clock.idleMs ? 'active' : 'idle';
    },
    input(now) {
      settle(now);
      lastInput = now;
    },
    take(now) {
      settle(now);
      const ms = Math.floor(total);
      total -= ms;
      return ms;
    },
  };
  return clock;
}
