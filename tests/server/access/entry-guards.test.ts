/**
 * Guards every entry point shares: the Origin allow-list on both namespaces (cross-site
 * WebSocket hijacking), no token in any URL, one verifier for REST, /collect, both handshakes
 * and token renewal, and error bodies that never show internals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { algNoneToken, handshake, rawSocket, signHubToken, type Identity } from './sockets.ts';
import { expectCleanError, expectNoInternals } from './tenants.ts';

let t: TestHub;
let token: string;
const ada: Identity = { sub: 'u-ada', agencyId: 'ag-guards', locationId: 'loc-1', role: 'location' };
const DASH = 'https://dash.example';
const APP = 'https://app.example';

beforeAll(async () => {
  t = await startHub({ PUBLIC_ORIGINS: DASH, TRACKER_ORIGINS: APP });
  token = await devToken(t.url, {
    userId: ada.sub,
    role: 'location',
    agencyId: ada.agencyId,
    locationId: ada.locationId,
  });
});
afterAll(() => t?.stop());

const withOrigin = (origin: string | null, transports = ['websocket']) => ({
  auth: { token },
  transports,
  ...(origin ? { extraHeaders: { origin } } : {}),
});

describe('Origin check on the handshake', () => {
  it.each(['websocket', 'polling'])(
    'over %s: foreign origins are refused even with a valid token; own and listed ones pass',
    async (transport) => {
      const own = new URL(t.url).origin;
      const cases: [string | null, string, string][] = [
        ['https://evil.example', 'origin_forbidden', 'origin_forbidden'],
        ['null', 'origin_forbidden', 'origin_forbidden'],
        ['https://sub.dash.example', 'origin_forbidden', 'origin_forbidden'],
        ['http://dash.example', 'origin_forbidden', 'origin_forbidden'],
        [`https://evil.example:${t.port}`, 'origin_forbidden', 'origin_forbidden'],
        [own, 'connected', 'connected'],
        [DASH, 'connected', 'origin_forbidden'],
        [APP, 'origin_forbidden', 'connected'],
        // Non-browser clients send no Origin: they cannot ride a victim's browser, and bring their own token.
        [null, 'connected', 'connected'],
      ];
      for (const [origin, live, track] of cases) {
        expect(await handshake(t.url, '/live', withOrigin(origin, [transport])), `${origin} /live`).toBe(live);
        expect(await handshake(t.url, '/track', withOrigin(origin, [transport])), `${origin} /track`).toBe(track);
      }
    },
  );

  it('the REST API gives a foreign origin no CORS grant, and never allows credentials', async () => {
    for (const [origin, allowed] of [
      ['https://evil.example', false],
      [DASH, true],
      [APP, true],
    ] as const) {
      const pre = await fetch(`${t.url}/api/v1/pageviews`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(pre.headers.get('access-control-allow-origin'), origin).toBe(allowed ? origin : null);
      expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
      const get = await fetch(`${t.url}/api/v1/me`, { headers: { origin, authorization: `Bearer ${token}` } });
      expect(get.headers.get('access-control-allow-origin'), origin).toBe(allowed ? origin : null);
      const poll = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
      expect(poll.headers.get('access-control-allow-origin'), `polling ${origin}`).toBe(allowed ? origin : null);
      expect(poll.headers.get('access-control-allow-credentials')).not.toBe('true');
    }
  });
});

describe('no token in a URL', () => {
  it('sockets refuse token-like query parameters, whatever their case', async () => {
    for (const ns of ['/live', '/track'] as const) {
      for (const key of ['token', 'access_token', 'jwt', 'auth', 'Token', 'ACCESS_TOKEN']) {
        expect(await handshake(t.url, ns, { auth: { token }, query: { [key]: token } }), `${ns} ?${key}`).toBe(
          'token_in_query',
        );
      }
    }
  });

  it('every REST route answers 400 token_in_query, public ones included', async () => {
    const routes: [string, string, string?][] = [
      ['GET', '/me'],
      ['GET', '/pageviews'],
      ['GET', '/presence'],
      ['GET', '/directory'],
      ['GET', '/summary'],
      ['GET', '/top-pages'],
      ['GET', '/users'],
      ['GET', '/export.csv'],
      ['GET', '/sessions'],
      ['GET', '/sessions/x'],
      ['GET', '/heatmap'],
      ['DELETE', '/users/u/activity'],
      ['POST', '/auth/refresh'],
      ['GET', '/auth/config'],
      ['POST', '/auth/dev', '{}'],
      ['POST', '/auth/sso', '{}'],
      ['POST', '/auth/token'],
      ['POST', '/collect', JSON.stringify({ token, events: [{}] })],
    ];
    for (const [method, path, body] of routes) {
      for (const key of ['token', 'access_token', 'Token', 'JWT']) {
        const res = await fetch(`${t.url}/api/v1${path}?${key}=${token}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
          ...(body ? { body } : {}),
        });
        expect(res.status, `${method} ${path}?${key}`).toBe(400);
        expectCleanError(await res.json(), 'token_in_query');
      }
    }
  });
});

describe('one verifier at every entry point', () => {
  it('refuses alg:none, a wrong key and an expired token on REST, /collect, both handshakes and renewal', async () => {
    const bad = {
      'alg:none': algNoneToken(ada),
      'wrong key': await signHubToken(ada, {
        secret: new TextEncoder().encode('another-secret-another-secret-0123456'),
      }),
      expired: await signHubToken(ada, { expInSec: -60 }),
      garbage: 'eyJhbGciOiJIUzI1NiJ9.e30.',
    };
    const tracker = await FakeTracker.connect(t.url, token, { reconnection: false });
    const live = rawSocket(t.url, '/live', { auth: { token } });
    await new Promise((r) => live.once('snapshot', r));
    try {
      for (const [name, forged] of Object.entries(bad)) {
        const code = name === 'expired' ? 'token_expired' : 'token_invalid';
        for (const [method, path] of [
          ['GET', '/me'],
          ['GET', '/pageviews'],
          ['GET', '/export.csv'],
          ['POST', '/auth/refresh'],
        ] as const) {
          const res = await fetch(`${t.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${forged}` } });
          expect(res.status, `${name} ${path}`).toBe(401);
          expectCleanError(await res.json(), code);
        }
        const events = [
          {
            type: 'pageview',
            id: crypto.randomUUID(),
            seq: 0,
            tabId: crypto.randomUUID(),
            url: 'https://a.example/x',
            path: '/x',
          },
        ];
        const collect = await fetch(`${t.url}/api/v1/collect`, {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ token: forged, events }),
        });
        expect(collect.status, `${name} /collect`).toBe(401);
        expectCleanError(await collect.json(), code);
        expect(await handshake(t.url, '/live', { auth: { token: forged } }), `${name} /live`).toBe(code);
        expect(await handshake(t.url, '/track', { auth: { token: forged } }), `${name} /track`).toBe(code);
        expect(await tracker.socket.timeout(3_000).emitWithAck('auth', forged), `${name} renew /track`).toMatchObject({
          ok: false,
          error: { code },
        });
        expect(await live.timeout(3_000).emitWithAck('auth', forged), `${name} renew /live`).toMatchObject({
          ok: false,
          error: { code },
        });
      }
      // The sockets are still there, on their original identity.
      expect(tracker.socket.connected && live.connected).toBe(true);
      expect(await tracker.send(tracker.pageview('/still-me'))).toEqual({ ok: true });
    } finally {
      tracker.close();
      live.close();
    }
  });
});

describe('errors show no internals', () => {
  it('a failing store answers a generic 500, a generic ack and a generic /collect result', async () => {
    const secret =
      'MongoServerError: auth failed for admin:hunter2@10.1.2.3:27017 at /work/main/server/src/storage/x.ts:12:3';
    const coll = t.hub.db.models.pageviews;
    const find = coll.find.bind(coll);
    const handle = t.hub.tracking.handle.bind(t.hub.tracking);
    coll.find = (() => {
      throw new Error(secret);
    }) as typeof coll.find;
    t.hub.tracking.handle = async () => {
      throw new TypeError(secret);
    };
    const tracker = await FakeTracker.connect(t.url, token, { reconnection: false });
    try {
      for (const path of ['/pageviews', '/export.csv']) {
        const res = await fetch(`${t.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
        const text = await res.text();
        expect(res.status, path).toBe(500);
        expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: 'Internal error' } });
        expectNoInternals(text);
      }
      const ack = await tracker.send(tracker.pageview('/boom'));
      expect(ack).toEqual({ ok: false, error: { code: 'internal', message: 'Internal error' } });
      const events = [tracker.pageview('/boom2')];
      const res = await fetch(`${t.url}/api/v1/collect`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ token, events }),
      });
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ results: [{ id: events[0]!.id, ok: false, code: 'internal' }] });
      expectNoInternals(text);
    } finally {
      coll.find = find;
      t.hub.tracking.handle = handle;
      tracker.close();
    }
  });

  it('bad bodies get short, generic errors', async () => {
    const cases: [string, RequestInit, number][] = [
      ['/auth/dev', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"userId":' }, 400],
      [
        '/auth/dev',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ x: 'y'.repeat(40_000) }),
        },
        413,
      ],
      ['/collect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{not json' }, 400],
      [
        '/collect',
        {
          method: 'POST',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ token, events: [{}], agencyId: 'other' }),
        },
        400,
      ],
      ['/auth/sso', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"payload": 1}' }, 404],
    ];
    for (const [path, init, status] of cases) {
      const res = await fetch(`${t.url}/api/v1${path}`, init);
      expect(res.status, path).toBe(status);
      expectCleanError(await res.json());
    }
  });
});
