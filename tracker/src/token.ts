import type { AuthReply } from '../../protocol/src/auth.ts';

/** A JWT's claims (unverified: only the hub verifies); empty when unreadable. */
function claimsOf(token: string): Record<string, unknown> {
  try {
    return JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) || {};
  } catch {
    return {};
  }
}

/** Epoch ms at which a JWT expires, from its `exp` claim; undefined when unreadable. */
export function jwtExpiry(token: string): number | undefined {
  const { exp } = claimsOf(token);
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

/**
 * Who a hub token speaks for: the claims the hub compares when a socket re-authenticates
 * (user, agency, location, role). Renewals keep it; another user changes it. '' for a token
 * that is not a readable JWT (all such tokens count as one identity).
 */
export function identityOf(token: string): string {
  const c = claimsOf(token);
  return c.sub ? JSON.stringify([c.sub, c.agencyId, c.locationId, c.role]) : '';
}

/** POSTs to a hub auth route and returns its reply; throws on any failure. */
export async function authRequest(url: string, bearer?: string, body?: unknown): Promise<AuthReply> {
  const res = await fetch(url, {
    method: 'POST',
    credentials: 'omit',
    headers: bearer ? { authorization: 'Bearer ' + bearer } : { 'content-type': 'application/json' },
    body: bearer ? undefined : JSON.stringify(body),
  });
  const reply = (await res.json()) as AuthReply;
  if (!res.ok || typeof reply.token !== 'string') throw new Error('auth ' + res.status);
  return reply;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * HighLevel Custom JS: reads the encrypted user context with `window.exposeSessionDetails`
 * (which may appear a little after this script runs) and exchanges it for a hub token.
 */
export async function highLevelSignIn(endpoint: string, appId: string): Promise<AuthReply> {
  const w = window as { exposeSessionDetails?: (appId: string) => Promise<string> };
  for (let i = 0; !w.exposeSessionDetails; i++) {
    if (i > 20) throw new Error('exposeSessionDetails is missing');
    await sleep(500);
  }
  const payload = await w.exposeSessionDetails(appId);
  return authRequest(endpoint + '/api/v1/auth/sso', undefined, { payload });
}
