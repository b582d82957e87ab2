import { describe, expect, it } from 'vitest';
import { hourIntervals } from '../../../server/src/domain/heatmap.ts';
import { retentionCutoff } from '../../../server/src/domain/retention-job.ts';

/** Local hour edges, checked against hand-computed zone rules (not against Intl via the code). */
const at = (iso: string) => Date.parse(iso);
const edges = (from: string, to: string, tz: string) => {
  const { boundaries, cells } = hourIntervals(at(from), at(to), tz);
  return boundaries.slice(0, -1).map((b, i) => `${new Date(b).toISOString().slice(11, 16)} ${cells[i]?.join('/')}`);
};

describe('hourIntervals', () => {
  it('splits at local hours in a half-hour zone (Kolkata, +5:30), Monday = 0', () => {
    // 2026-10-05 is a Monday; 00:00 local = 18:30Z the day before.
    expect(edges('2026-10-04T18:30:00Z', '2026-10-04T21:30:00Z', 'Asia/Kolkata')).toEqual([
      '18:30 0/0',
      '19:30 0/1',
      '20:30 0/2',
    ]);
  });

  it('keeps a ragged start in its own local hour, and handles a quarter-hour zone (Kathmandu, +5:45)', () => {
    expect(edges('2026-10-04T18:20:00Z', '2026-10-04T19:30:00Z', 'Asia/Kathmandu')).toEqual([
      '18:20 0/0', // 00:05 local Monday
      '19:15 0/1',
    ]);
  });

  it('follows DST: New York falls back on 2026-11-01 (the 1 a.m. hour happens twice)', () => {
    expect(edges('2026-11-01T04:00:00Z', '2026-11-01T08:00:00Z', 'America/New_York')).toEqual([
      '04:00 6/0', // Sunday 00:00 EDT
      '05:00 6/1', // 01:00 EDT
      '06:00 6/1', // 01:00 EST, again
      '07:00 6/2',
    ]);
  });

  it('follows DST: Lord Howe moves by half an hour (2026-10-04, 2:00 → 2:30)', () => {
    // +10:30 until 2026-10-03T15:30Z (02:00 local), then +11.
    expect(edges('2026-10-03T14:30:00Z', '2026-10-03T17:00:00Z', 'Australia/Lord_Howe')).toEqual([
      '14:30 6/1', // Sunday 01:00
      '15:30 6/2', // 02:30 after the change, still the 2 o'clock hour
      '16:00 6/3',
    ]);
  });

  it('puts the retention horizon on a 15-minute edge', () => {
    const now = at('2026-11-28T12:41:07Z');
    expect(new Date(retentionCutoff(now, 400)).toISOString()).toBe('2025-10-24T12:30:00.000Z');
  });
});
