import type { HubUser, Role, TokenScope } from '@activity-hub/protocol';

/** The verified identity behind a request or socket. Built only from a verified hub token. */
export interface Claims {
  sub: string;
  agencyId: string;
  locationId: string | null;
  role: Role;
  name: string;
  email: string;
  /** What the token may do (see access.ts); refresh keeps it. */
  scope: TokenScope;
  /** Token expiry, epoch seconds. */
  exp: number;
}

/**
 * Query parameters that look like a credential. Tokens in URLs end up in access logs, proxy
 * logs, browser history and Referer headers, so a request or handshake naming one is refused
 * outright, whatever its case, even when the token also travels the right way.
 */
const CREDENTIAL_PARAMS = new Set(['token', 'access_token', 'jwt', 'auth']);

/** True when one of the query parameter names is a credential's. */
export function namesCredential(paramNames: Iterable<string>): boolean {
  for (const name of paramNames) if (CREDENTIAL_PARAMS.has(name.toLowerCase())) return true;
  return false;
}

/** The user view of claims. */
export function userOf(c: Claims): HubUser {
  return { userId: c.sub, name: c.name, email: c.email, role: c.role, agencyId: c.agencyId, locationId: c.locationId };
}
