import type { Claims } from './identity.ts';
import { AppError } from './app-error.ts';
import { keyPart } from './keys.ts';

/**
 * The only place that decides what a caller may see. Every REST query, room join, live event
 * and export goes through it.
 *
 * - agency user: every record of their `agencyId`;
 * - location user: only records whose userId is their own `sub` (inside their agency).
 */
export interface Scope {
  agencyId: string;
  /** Set for location users: the one user they may see. */
  userId?: string;
}

/** Request filters; they may narrow the scope, never widen it. */
export interface ScopeFilters {
  userId?: string | undefined;
  locationId?: string | undefined;
}

export function scopeOf(claims: Claims): Scope {
  return claims.role === 'agency' ? { agencyId: claims.agencyId } : { agencyId: claims.agencyId, userId: claims.sub };
}

/**
 * A storage filter for the caller's scope narrowed by request filters. A location user asking
 * for someone else gets `forbidden` rather than a silently empty answer.
 */
export function scopedFilter(
  claims: Claims,
  filters: ScopeFilters = {},
): { agencyId: string; userId?: string; locationId?: string } {
  const scope = scopeOf(claims);
  if (scope.userId && filters.userId && filters.userId !== scope.userId) {
    throw new AppError('forbidden', 'A location user can only see their own activity');
  }
  const out: { agencyId: string; userId?: string; locationId?: string } = { agencyId: scope.agencyId };
  const userId = scope.userId ?? filters.userId;
  if (userId) out.userId = userId;
  if (filters.locationId) out.locationId = filters.locationId;
  return out;
}

/**
 * Ids are escaped in room names (`:` and `%` become `%3A` and `%25`), so agency "x" + user "y:z"
 * and agency "x:y" + user "z" never share a room; plain ids keep their readable names.
 */
const part = keyPart;
/** Room for everything of an agency. */
export const agencyRoom = (agencyId: string): string => `agency:${part(agencyId)}`;
/** Room for one user's own activity; user ids are only unique within an agency. */
export const userRoom = (agencyId: string, userId: string): string => `user:${part(agencyId)}:${part(userId)}`;

/** The rooms a live socket joins, from its claims alone: no client names a room. */
export function liveRoomsFor(claims: Claims): string[] {
  return claims.role === 'agency' ? [agencyRoom(claims.agencyId)] : [userRoom(claims.agencyId, claims.sub)];
}

/** Rooms that may receive an event about `subject`. */
export function audienceOf(subject: { agencyId: string; userId: string }): string[] {
  return [agencyRoom(subject.agencyId), userRoom(subject.agencyId, subject.userId)];
}

/** True when `claims` may see a record owned by `subject`. */
export function canSee(claims: Claims, subject: { agencyId: string; userId: string }): boolean {
  if (subject.agencyId !== claims.agencyId) return false;
  return claims.role === 'agency' || subject.userId === claims.sub;
}
