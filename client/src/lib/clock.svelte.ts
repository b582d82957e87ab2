// A ticking "now" on the hub's clock. Presence times (updatedAt, onlineSince) are hub epoch
// milliseconds, so comparing them with a skewed laptop clock would make timers jump or stall.
import { createSubscriber } from 'svelte/reactivity';

export class ServerClock {
  /** Hub time minus local time, learned from each snapshot's serverTime. */
  #offsetMs = 0;

  // One shared interval, started only while something on screen reads `now` and stopped
  // when the last reader goes away (the History tab does not pay for Live's timers).
  readonly #subscribe = createSubscriber((update) => {
    const id = setInterval(update, 1_000);
    return () => clearInterval(id);
  });

  /** Hub-corrected epoch ms; re-renders its readers once a second. */
  get now(): number {
    this.#subscribe();
    return Date.now() + this.#offsetMs;
  }

  /** Non-ticking read, for event handlers and sorting. */
  peek(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Latency makes serverTime slightly old; a few ms of error is invisible at 1 s resolution. */
  sync(serverTime: number): void {
    if (Number.isFinite(serverTime)) this.#offsetMs = serverTime - Date.now();
  }
}
