let debug = false;

/** Turns console logging on (`data-debug`); otherwise the tracker never writes to the console. */
export function enableDebug(): void {
  debug = true;
}

/** Logs only in debug mode. */
export function log(...args: unknown[]): void {
  // eslint-disable-next-line no-console -- only with data-debug, which asks for exactly this
  if (debug) console.log('[activity-hub]', ...args);
}

/**
 * Wraps a listener or timer callback so that nothing it throws or rejects reaches the host page.
 */
export function guard<A extends unknown[]>(fn: (...args: A) => unknown): (...args: A) => void {
  return (...args) => {
    try {
      const r = fn(...args);
      if (r instanceof Promise) r.catch(log);
    } catch (e) {
      log(e);
    }
  };
}

/** `setTimeout` with a guarded callback. */
export const later = (fn: () => unknown, ms: number): ReturnType<typeof setTimeout> => setTimeout(guard(fn), ms);

/**
 * Events that leave the queue unsent (refused for good, or recorded under another user) are
 * announced to the host page as an `activityhub:dropped` event on `window`, with
 * `detail: { reason, events }` (reason: the hub's error code, or 'identity').
 */
export function dropped(reason: string, events: unknown[]): void {
  log('dropped', reason, events);
  if (events.length) dispatchEvent(new CustomEvent('activityhub:dropped', { detail: { reason, events } }));
}
