import { describe, expect, it } from 'vitest';
import { audienceOf, canSee, liveRoomsFor, scopedFilter } from '../../../server/src/domain/access.ts';
import { AppError } from '../../../server/src/domain/app-error.ts';
import type { Claims } from '../../../server/src/domain/identity.ts';

const agency: Claims = {
  sub: 'boss',
  agencyId: 'A',
  locationId: null,
  role: 'agency',
  name: 'Boss',
  email: '',
  scope: 'read',
  exp: 0,
};
const loc: Claims = {
  sub: 'ada',
  agencyId: 'A',
  locationId: 'L1',
  role: 'location',
  name: 'Ada',
  email: '',
  scope: 'read',
  exp: 0,
};

describe('access rules', () => {
  it('gives agency users their whole agency, narrowed by filters', () => {
    expect(scopedFilter(agency)).toEqual({ agencyId: 'A' });
    expect(scopedFilter(agency, { userId: 'ada', locationId: 'L1' })).toEqual({
      agencyId: 'A',
      userId: 'ada',
      locationId: 'L1',
    });
  });

  it('gives location users only themselves, and refuses asking for others', () => {
    expect(scopedFilter(loc)).toEqual({ agencyId: 'A', userId: 'ada' });
    expect(scopedFilter(loc, { userId: 'ada' })).toEqual({ agencyId: 'A', userId: 'ada' });
    expect(() => scopedFilter(loc, { userId: 'grace' })).toThrow(AppError);
  });

  it('never lets a filter change the agency', () => {
    expect(scopedFilter(agency, { agencyId: 'B' } as never)).toEqual({ agencyId: 'A' });
  });

  it('joins rooms from claims alone', () => {
    expect(liveRoomsFor(agency)).toEqual(['agency:A']);
    expect(liveRoomsFor(loc)).toEqual(['user:A:ada']);
    expect(audienceOf({ agencyId: 'A', userId: 'ada' })).toEqual(['agency:A', 'user:A:ada']);
  });

  it('decides visibility per record', () => {
    expect(canSee(agency, { agencyId: 'A', userId: 'x' })).toBe(true);
    expect(canSee(agency, { agencyId: 'B', userId: 'x' })).toBe(false);
    expect(canSee(loc, { agencyId: 'A', userId: 'ada' })).toBe(true);
    expect(canSee(loc, { agencyId: 'A', userId: 'grace' })).toBe(false);
  });
});
