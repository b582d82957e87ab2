import type { AuthReply } from '../../protocol/src/auth.ts';

/** Epoch ms at which a JWT expires, from its `exp` claim; undefined when unreadable. */
export function jwtExpiry(token: string): number | undefined {
  try {
    const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
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
