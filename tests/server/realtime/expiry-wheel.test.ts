import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiryWheel } from '../../../server/src/realtime/expiry-wheel.ts';

describe('ExpiryWheel', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => void vi.useRealTimers());

  it('fires each item once, never before its deadline and within two ticks after it', () => {
    const fired: [string, number][] = [];
    const wheel = new ExpiryWheel<{ id: string; at: number }>(
      (x) => fired.push([x.id, Date.now() - x.at]),
      Date.now,
      250,
    );
    const items = [0, 100, 999, 1_000, 5_123].map((d, i) => ({ id: `i${i}`, at: Date.now() + d }));
    for (const x of items) wheel.add(x, x.at);
    expect(wheel.size).toBe(5);
    vi.advanceTimersByTime(10_000);
    expect(fired.map(([id]) => id).sort()).toEqual(items.map((x) => x.id));
    for (const [, late] of fired) {
      expect(late).toBeGreaterThanOrEqual(0);
      expect(late).toBeLessThanOrEqual(500);
    }
    expect(wheel.size).toBe(0);
  });

  it('moves a deadline on add, and forgets a removed item', () => {
    const fired: string[] = [];
    const wheel = new ExpiryWheel<{ id: string }>((x) => fired.push(x.id), Date.now, 250);
    const a = { id: 'a' };
    const b = { id: 'b' };
    wheel.add(a, Date.now() + 1_000);
    wheel.add(b, Date.now() + 1_000);
    wheel.add(a, Date.now() + 5_000);
    wheel.remove(b);
    vi.advanceTimersByTime(2_000);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(4_000);
    expect(fired).toEqual(['a']);
  });

  it('fires an item whose deadline has passed at the next tick, and stops its timer when empty', () => {
    const fired: string[] = [];
    const wheel = new ExpiryWheel<{ id: string }>((x) => fired.push(x.id), Date.now, 250);
    wheel.add({ id: 'late' }, Date.now() - 60_000);
    vi.advanceTimersByTime(250);
    expect(fired).toEqual(['late']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
