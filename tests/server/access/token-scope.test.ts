/**
 * Token scopes (issue 10, hole 6): a tracker's token sits in the platform's page, where any
 * script can read it, so it may only track. The scope is decided by the sign-in request's
 * Origin, which a page script cannot forge, never by anything in the body; refresh keeps it;
 * `/live` and every REST route refuse a `track` token with 403 `token_scope`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack } from '@activity-hub/protocol';
import { devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { handshake, rawSocket, signHubToken, type Identity } from './sockets.ts';
import { expectCleanError } from './tenants.ts';

const DASH = 'https://dash.example';
const APP = 'https://app.example';
/** Listed in both: the tracker list wins (least privilege). */
const BOTH = 'https://both.example';
const ada = { userId: 'u-ada', role: 'location', agencyId: 'ag-scope', locationId: 'loc-1' } as const;
const adaId: Identity = { sub: ada.userId, agencyId: ada.agencyId, locationId: ada.locationId, role: 'location' };

let t: TestHub;
let own: string;
beforeAll(async () => {
  t = await startHub({ PUBLIC_ORIGINS: `${DASH},${BOTH}`, TRACKER_ORIGINS: `${APP},${BOTH}` });
  own = new URL(t.url).origin;
});
afterAll(() => t?.stop());

/** Dev login with an Origin header (or none); the reply's status, scope and token. */
async function login(origin: string | null, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${t.url}/api/v1/auth/dev`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(origin ? { origin } : {}) },
    body: JSON.stringify({ name: 'Ada', ...ada, ...extra }),
  });
  const body = (await res.json()) as { token?: string; scope?: string; error?: { code: string } };
  return { status: res.status, body };
}

/** True when the token opens the REST API (GET /me answers 200). */
async function reads(token: string): Promise<boolean> {
  const res = await fetch(`${t.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  return res.status === 200;
}

describe('the Origin of the exchange decides the scope', () => {
  it.each([
    [APP, 'track'],
    [BOTH, 'track'],
    [null, 'track'],
    [DASH, 'read'],
    ['own', 'read'],
  ])('Origin %s gets a %s token', async (origin, scope) => {
    const { status, body } = await login(origin === 'own' ? own : origin);
    expect(status).toBe(200);
    expect(body.scope).toBe(scope);
    expect(await reads(body.token!)).toBe(scope === 'read');
  });

  it.each(['https://evil.example', 'null', `http://dash.example`, 'not a url'])(
    'Origin %s gets no token',
    async (origin) => {
      const { status, body } = await login(origin);
      expect(status).toBe(403);
      expectCleanError(body, 'origin_forbidden');
    },
  );

  it('a body field cannot choose the scope', async () => {
    for (const extra of [{ scope: 'read' }, { scope: 'read', origin: DASH }]) {
      const { status, body } = await login(APP, extra);
      expect(status, JSON.stringify(extra)).toBe(400);
      expect(body.token).toBeUndefined();
    }
  });
});

describe('a track token', () => {
  let track: string;
  let read: string;
  beforeAll(async () => {
    [track, read] = await Promise.all([devToken(t.url, ada, { origin: APP }), devToken(t.url, ada, { origin: DASH })]);
  });

  it('tracks, over the socket and /collect', async () => {
    const tr = await FakeTracker.connect(t.url, track);
    try {
      expect(await tr.send(tr.pageview('/scoped'))).toEqual({ ok: true });
    } finally {
      tr.close();
    }
    const res = await fetch(`${t.url}/api/v1/collect`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ token: track, events: [tr.pageview('/beacon')] }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: { ok: boolean }[] }).results).toEqual([
      expect.objectContaining({ ok: true }),
    ]);
  });

  it('cannot open /live; a read token can', async () => {
    expect(await handshake(t.url, '/live', { auth: { token: track } })).toBe('token_scope');
    expect(await handshake(t.url, '/live', { auth: { token: await signHubToken(adaId, { scope: 'track' }) } })).toBe(
      'token_scope',
    );
    expect(await handshake(t.url, '/live', { auth: { token: read } })).toBe('connected');
  });

  it('cannot replace a read token on an open /live socket', async () => {
    const s = rawSocket(t.url, '/live', { auth: { token: read } });
    try {
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('connect_error', reject);
      });
      const reply = (await s.timeout(5_000).emitWithAck('auth', track)) as Ack<{ expiresAt: number }>;
      expect(reply.ok).toBe(false);
      if (!reply.ok) expect(reply.error.code).toBe('token_scope');
    } finally {
      s.close();
    }
  });

  it('is refused with 403 token_scope on every REST route that needs a read token', async () => {
    // Every route of the OpenAPI document behind the `read` bearer scope, so a new route is covered.
    const spec = (await (await fetch(`${t.url}/api/v1/openapi.json`)).json()) as {
      security: Record<string, string[]>[];
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
    };
    const routes: [string, string][] = [];
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const needs = op.security ?? spec.security;
        if (needs.some((r) => r.bearer?.includes('read') && !r.bearer.includes('track'))) routes.push([method, path]);
      }
    }
    expect(routes.length).toBeGreaterThanOrEqual(8);
    expect(routes).toContainEqual(['get', '/api/v1/users']);
    expect(routes).toContainEqual(['get', '/api/v1/export.csv']);
    for (const [method, path] of routes) {
      // Path parameters get a value of no one: the scope check runs before the lookup.
      const url = `${t.url}${path.replace(/\{[^}]+\}/g, 'nobody')}`;
      const call = (token: string) =>
        fetch(url, { method: method.toUpperCase(), headers: { authorization: `Bearer ${token}` } });
      const refused = await call(track);
      expect(refused.status, `${method} ${path}`).toBe(403);
      expectCleanError(await refused.json(), 'token_scope');
      // A read token passes the scope check (some routes then want query parameters: 400, and
      // a path parameter naming no one: 404).
      const allowed = await call(read);
      expect([200, 400, 403, 404], `read token on ${method} ${path}`).toContain(allowed.status);
      // A 403 here is the role's (a location user may not erase), never the token's scope.
      if (allowed.status === 403)
        expect(((await allowed.json()) as { error: { code: string } }).error.code).toBe('forbidden');
      else await allowed.body?.cancel();
    }
  });

  it('keeps its scope through refresh, whatever the Origin of the refresh', async () => {
    for (const origin of [DASH, own, APP]) {
      const res = await fetch(`${t.url}/api/v1/auth/refresh`, {
        method: 'POST',
        headers: { authorization: `Bearer ${track}`, origin },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { token: string; scope: string };
      expect(body.scope).toBe('track');
      expect(await reads(body.token)).toBe(false);
    }
    const res = await fetch(`${t.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${read}`, origin: APP },
    });
    const body = (await res.json()) as { token: string; scope: string };
    expect(body.scope).toBe('read');
    expect(await reads(body.token)).toBe(true);
  });
});
