import type { TokenScope } from '@activity-hub/protocol';
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

/**
 * The rooms that may receive each of `subjects` (audienceOf), as room → the subjects it may
 * receive: an agency's room gets all of its subjects, a user's room only that user's. A socket
 * is in one of these rooms only (liveRoomsFor), so a subject never reaches a socket twice.
 */
export function audiencesOf<S extends { agencyId: string; userId: string }>(subjects: Iterable<S>): Map<string, S[]> {
  const out = new Map<string, S[]>();
  for (const s of subjects) {
    for (const room of audienceOf(s)) {
      const list = out.get(room);
      if (list) list.push(s);
      else out.set(room, [s]);
    }
  }
  return out;
}

/** True when `claims` may see a record owned by `subject`. */
export function canSee(claims: Claims, subject: { agencyId: string; userId: string }): boolean {
  if (subject.agencyId !== claims.agencyId) return false;
  return claims.role === 'agency' || subject.userId === claims.sub;
}

/**
 * What a token is used for: `track` (the `/track` namespace and `POST /collect`), `live` (the
 * `/live` namespace) and `api` (every REST route but sign-in and refresh).
 */
export type Use = 'track' | 'live' | 'api';

/**
 * May a token of this scope be used for `use`? A `track` token only tracks. A `read` token may
 * read, and may also track: it lives on the dashboard's own origin, and tracking adds no power
 * to it, since any holder of an identity can get a track token (see `exchangeScope`).
 */
export function mayUse(scope: TokenScope, use: Use): boolean {
  return use === 'track' || scope === 'read';
}

/** Throws `token_scope` (403) unless the claims' scope covers `use`. */
export function requireUse(claims: Claims, use: Use): Claims {
  if (!mayUse(claims.scope, use)) {
    throw new AppError(
      'token_scope',
      `This ${claims.scope} token cannot be used here; a dashboard token (read scope) is required`,
    );
  }
  return claims;
}

/** A token verifier that also requires the scope for `use`. */
export function verifierFor(verify: (token: string) => Promise<Claims>, use: Use): (token: string) => Promise<Claims> {
  return async (token) => requireUse(await verify(token), use);
}

/** Where a token exchange came from, as the HTTP layer saw it. */
export interface ExchangeOrigin {
  /** The request's `Origin` header, if any. */
  origin: string | undefined;
  /** The hub's own origin for this request (scheme and Host as the hub sees them). */
  self: string | undefined;
  publicOrigins: readonly string[];
  trackerOrigins: readonly string[] | '*';
}

/**
 * The scope of a token minted by an exchange (HighLevel SSO, upstream JWT, dev login), decided
 * by the browser's `Origin` header, which a page script cannot forge, never by a body field:
 *
 * - no `Origin` (a server-to-server caller) → `track`, the least privilege: a backend that
 *   installs the tracker with the token it got must not be handing out a reader;
 * - an origin listed in `TRACKER_ORIGINS` → `track`, even if also listed as public (least
 *   privilege: a page where the tracker runs hosts scripts the hub does not control);
 * - the hub's own origin or one in `PUBLIC_ORIGINS` → `read`;
 * - any other origin → `track` when `TRACKER_ORIGINS` is `*`, else `origin_forbidden`
 *   (`Origin: null`, from sandboxed frames and some redirects, never reads).
 */
export function exchangeScope(o: ExchangeOrigin): TokenScope {
  if (o.origin === undefined) return 'track';
  const origin = canonicalOrigin(o.origin);
  if (origin !== null) {
    if (o.trackerOrigins !== '*' && o.trackerOrigins.includes(origin)) return 'track';
    if (origin === o.self || o.publicOrigins.includes(origin)) return 'read';
  }
  if (o.trackerOrigins === '*') return 'track';
  throw new AppError('origin_forbidden', 'Tokens are issued only to the dashboard and tracker origins');
}

/** `scheme://host[:port]` of an origin header, or null when it is not an http(s) origin. */
function canonicalOrigin(value: string): string | null {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}
