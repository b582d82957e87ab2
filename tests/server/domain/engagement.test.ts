import { describe, expect, it } from 'vitest';
import { creditEngaged, eventTime, type EngagementState } from '../../../server/src/domain/engagement.ts';

const state = (s: Partial<EngagementState> = {}): EngagementState => ({
  startedAt: 0,
  lastSeenAt: 0,
  engagedMs: 0,
  endedAt: null,
  ...s,
});

describe('creditEngaged', () => {
  it('credits what the client claims when that much wall time passed', () => {
    expect(creditEngaged(state(), 15_000, 15_000, 2_000)).toBe(15_000);
  });

  it('clamps to the wall time since the previous evidence plus tolerance', () => {
    expect(creditEngaged(state({ lastSeenAt: 10_000, engagedMs: 9_000 }), 60_000, 15_000, 2_000)).toBe(7_000);
  });

  it('never credits negative, NaN or zero claims', () => {
    expect(creditEngaged(state(), -5, 10_000, 2_000)).toBe(0);
    expect(creditEngaged(state(), Number.NaN, 10_000, 2_000)).toBe(0);
    expect(creditEngaged(state(), 0, 10_000, 2_000)).toBe(0);
  });

  it('lets a late, out-of-order event use only what the total wall time still allows', () => {
    // Evidence up to 30 s, 20 s already credited; an older heartbeat (at 12 s) claims 15 s.
    expect(creditEngaged(state({ lastSeenAt: 30_000, engagedMs: 20_000 }), 15_000, 12_000, 2_000)).toBe(12_000);
    // Nothing left: the total is already at wall time plus tolerance.
    expect(creditEngaged(state({ lastSeenAt: 30_000, engagedMs: 32_000 }), 5_000, 12_000, 2_000)).toBe(0);
  });

  it('does not credit time after a page view ended', () => {
    expect(
      creditEngaged(state({ lastSeenAt: 10_000, endedAt: 10_000, engagedMs: 10_000 }), 50_000, 60_000, 2_000),
    ).toBe(2_000);
  });
});

describe('eventTime', () => {
  it('places an event on the hub clock from its age, bounded', () => {
    expect(eventTime(100_000, 5_000)).toBe(95_000);
    expect(eventTime(100_000, undefined)).toBe(100_000);
    expect(eventTime(100_000, 99_999_999, 90_000)).toBe(90_000);
  });
});
