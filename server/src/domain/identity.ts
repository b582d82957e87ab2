import type { HubUser, Role } from '@activity-hub/protocol';

/** The verified identity behind a request or socket. Built only from a verified hub token. */
export interface Claims {
  sub: string;
  agencyId: string;
  locationId: string | null;
  role: Role;
  name: string;
  email: string;
  /** Token expiry, epoch seconds. */
  exp: number;
}

/** The user view of claims. */
export function userOf(c: Claims): HubUser {
  return { userId: c.sub, name: c.name, email: c.email, role: c.role, agencyId: c.agencyId, locationId: c.locationId };
}
