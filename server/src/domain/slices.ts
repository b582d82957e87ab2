/** Yields to the event loop: pending I/O (incoming events, acks, live updates) runs first. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Runs `fn` over `items` a slice of `size` at a time, yielding to the event loop between slices
 * (the first slice runs at once). A pass over every open tab, or thousands of acks, in one go
 * would hold the loop, and every event and dashboard update waiting behind it, for as long as it
 * takes: at 15,000 tabs, about 100 ms for the keep-alive round.
 */
export async function forEachInSlices<T>(items: Iterable<T>, size: number, fn: (item: T) => void): Promise<void> {
  let n = 0;
  for (const item of items) {
    fn(item);
    if (++n % size === 0) await nextTurn();
  }
}
