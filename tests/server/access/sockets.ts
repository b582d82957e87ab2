import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { HUB_TOKEN, type Goodbye } from '@activity-hub/protocol';

/** The secret `startHub` configures (HUB_JWT_SECRET). */
export const TEST_SECRET = new TextEncoder().encode('test-secret-test-secret-test-secret-0123');

export interface Identity {
  sub: string;
  agencyId: string;
  locationId: string | null;
  role: 'agency' | 'location';
}

/** A hub token signed by hand, with every claim hub-tokens.ts requires; `expInSec` may be tiny or negative. */
export async function signHubToken(
  who: Identity,
  opts: { expInSec?: number; secret?: Uint8Array; scope?: 'track' | 'read' } = {},
): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({
    agencyId: who.agencyId,
    locationId: who.locationId,
    role: who.role,
    name: `Name ${who.sub}`,
    email: `${who.sub}@example.com`,
    scope: opts.scope ?? 'read',
  })
    .setProtectedHeader({ alg: 'HS256', typ: HUB_TOKEN.type })
    .setSubject(who.sub)
    .setIssuer(HUB_TOKEN.issuer)
    .setAudience(HUB_TOKEN.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (opts.expInSec ?? 600))
    .setJti(randomUUID())
    .sign(opts.secret ?? TEST_SECRET);
}

/** An unsigned token (alg:none) with otherwise perfect claims. */
export function algNoneToken(who: Identity): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  const claims = {
    sub: who.sub,
    agencyId: who.agencyId,
    locationId: who.locationId,
    role: who.role,
    name: 'N',
    email: '',
    scope: 'read',
    iss: HUB_TOKEN.issuer,
    aud: HUB_TOKEN.audience,
    iat,
    exp: iat + 600,
    jti: randomUUID(),
  };
  return `${b64({ alg: 'none', typ: HUB_TOKEN.type })}.${b64(claims)}.`;
}

/** A raw socket.io client that never reconnects and records every `bye`. */
export function rawSocket(
  url: string,
  ns: '/live' | '/track',
  opts: Partial<ManagerOptions & SocketOptions> = {},
): Socket & { byes: Goodbye[] } {
  const s = io(`${url}${ns}`, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts }) as Socket & {
    byes: Goodbye[];
  };
  s.byes = [];
  s.on('bye', (b: Goodbye) => s.byes.push(b));
  return s;
}

/** Connects and resolves with 'connected' or the handshake error's code. */
export function handshake(
  url: string,
  ns: '/live' | '/track',
  opts: Partial<ManagerOptions & SocketOptions> = {},
): Promise<string> {
  const s = rawSocket(url, ns, opts);
  return new Promise<string>((resolve) => {
    s.once('connect', () => resolve('connected'));
    s.once('connect_error', (e: Error & { data?: { code?: string } }) =>
      resolve(e.data?.code ?? `transport: ${e.message}`),
    );
  }).finally(() => s.close());
}

/** Resolves once the server closed the socket; the reason socket.io gives. */
export function disconnected(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    if (!s.connected) resolve('not connected');
    else s.once('disconnect', (reason) => resolve(reason));
  });
}
