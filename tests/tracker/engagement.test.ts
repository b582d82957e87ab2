import { describe, expect, it } from 'vitest';
import { createEngagement } from '../../tracker/src/engagement.ts';

const S = 1000;

describe('engagement clock', () => {
  it('counts only visible time: visible 6 s, hidden 4 s, visible 3 s → 9 s', () => {
    const c = createEngagement(60 * S, 0);
    expect(c.update(0, true, true)).toBe('active');
    expect(c.update(6 * S, false, true)).toBe('hidden');
    // Coming back is activity (the tracker calls input on visibilitychange → visible).
    c.update(10 * S, true, true);
    c.input(10 * S);
    expect(c.take(13 * S)).toBe(9 * S);
  });

  it('stops counting at the idle threshold, and starts again on input', () => {
    const c = createEngagement(5 * S, 0);
    expect(c.update(4 * S, true, true)).toBe('active');
    expect(c.update(30 * S, true, true)).toBe('idle');
    expect(c.take(30 * S)).toBe(5 * S);
    c.input(40 * S);
    expect(c.update(42 * S, true, true)).toBe('active');
    expect(c.take(42 * S)).toBe(2 * S);
  });

  it('does not count unfocused time, which is idle', () => {
    const c = createEngagement(60 * S, 0);
    expect(c.update(2 * S, true, false)).toBe('idle');
    expect(c.update(7 * S, true, true)).toBe('active');
    expect(c.take(8 * S)).toBe(3 * S);
  });

  it('take() resets, returns whole ms and carries the fraction', () => {
    const c = createEngagement(60 * S, 0);
    expect(c.take(1000.6)).toBe(1000);
    expect(c.take(2000.5)).toBe(1000);
    expect(c.take(2000.5)).toBe(0);
  });

  it('uses a changed idle threshold', () => {
    const c = createEngagement(60 * S, 0);
    c.idleMs = 10 * S;
    expect(c.update(11 * S, true, true)).toBe('idle');
    expect(c.take(20 * S)).toBe(10 * S);
  });

  it('ignores a clock that goes backwards', () => {
    const c = createEngagement(60 * S, 100);
    expect(c.take(50)).toBe(0);
    expect(c.take(1100)).toBe(1000);
  });
});
