/**
 * No token, SSO payload or secret ever reaches the logs, even at LOG_LEVEL=trace: two hubs (dev
 * login; HighLevel SSO + upstream JWT) log into one in-memory stream while every way a credential
 * travels is exercised, successfully and not.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import CryptoJS from 'crypto-js';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/src/logger.ts';
import { devToken, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { algNoneToken, handshake, rawSocket, signHubToken } from './sockets.ts';

const SSO_KEY = 'hl-shared-secret-for-log-test-42';
const UPSTREAM_SECRET = 'upstream-secret-for-log-test-0123456789';
const HUB_SECRET = 'test-secret-test-secret-test-secret-0123';
const chunks: string[] = [];
const stream = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c.toString()), cb()) });
let dev: TestHub;
let sso: TestHub;

beforeAll(async () => {
  const log = createLogger('trace', {}, stream);
  [dev, sso] = await Promise.all([
    startHub({ LOG_LEVEL: 'trace' }, { log }),
    startHub({ LOG_LEVEL: 'trace', HIGHLEVEL_SSO_KEY: SSO_KEY, SSO_JWT_SECRET: UPSTREAM_SECRET }, { log }),
  ]);
});
afterAll(async () => {
  await Promise.all([dev?.stop(), sso?.stop()]);
});

/** Every credential used below, to look for in the logs afterwards. */
const secrets: string[] = [SSO_KEY, UPSTREAM_SECRET, HUB_SECRET];
const remember = (s: string) => (secrets.push(s), s);

const post = (url: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const get = (url: string, path: string, token: string) =>
  fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });

/** Sign-ins on both hubs; returns the hub tokens they issued. */
async function signIns(): Promise<{ devTok: string; ssoTok: string; upTok: string }> {
  const devTok = remember(
    await devToken(dev.url, { userId: 'u-log', role: 'location', agencyId: 'ag-log', locationId: 'loc-1' }),
  );
  const fields = {
    userId: 'hl-u',
    companyId: 'comp-log',
    role: 'user',
    type: 'location',
    activeLocation: 'loc-9',
    userName: 'Log Person',
    email: 'log@example.com',
  };
  const payload = remember(CryptoJS.AES.encrypt(JSON.stringify(fields), SSO_KEY).toString());
  // From the hub's own origin, as the dashboard signs in: a read token (see token-scope.test.ts).
  const ssoRes = await post(sso.url, '/auth/sso', { payload }, { origin: new URL(sso.url).origin });
  expect(ssoRes.status).toBe(200);
  const ssoTok = remember(((await ssoRes.json()) as { token: string }).token);
  // Failing SSO: another key, a truncated payload, the payload where a JSON object is expected.
  remember(CryptoJS.AES.encrypt(JSON.stringify(fields), 'wrong-key').toString());
  expect((await post(sso.url, '/auth/sso', { payload: secrets.at(-1) })).status).toBe(400);
  expect((await post(sso.url, '/auth/sso', { payload: payload.slice(0, 40) })).status).toBe(400);
  expect((await post(sso.url, '/auth/sso', payload, { 'content-type': 'application/json' })).status).toBe(400);
  const upstream = remember(
    await new SignJWT({ agencyId: 'ag-up', role: 'agency', name: 'Up Stream' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u-up')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(UPSTREAM_SECRET)),
  );
  const upRes = await post(
    sso.url,
    '/auth/token',
    {},
    { authorization: `Bearer ${upstream}`, origin: new URL(sso.url).origin },
  );
  expect(upRes.status).toBe(200);
  const upTok = remember(((await upRes.json()) as { token: string }).token);
  expect(
    (await post(sso.url, '/auth/token', {}, { authorization: `Bearer ${remember(`${upstream.slice(0, -4)}AAAA`)}` }))
      .status,
  ).toBe(401);
  expect((await post(dev.url, '/auth/refresh', {}, { authorization: `Bearer ${devTok}` })).status).toBe(200);
  return { devTok, ssoTok, upTok };
}

describe('logs at trace level', () => {
  it('never contain tokens, SSO payloads or secrets', async () => {
    const { devTok, ssoTok, upTok } = await signIns();
    const forged = [
      remember(algNoneToken({ sub: 'u-log', agencyId: 'ag-log', locationId: 'loc-1', role: 'location' })),
      remember(await signHubToken({ sub: 'x', agencyId: 'y', locationId: null, role: 'agency' }, { expInSec: -60 })),
    ];
    // REST with bearer tokens, good and bad, including a token in the URL and a failing store.
    for (const [url, tok] of [
      [dev.url, devTok],
      [sso.url, ssoTok],
      [sso.url, upTok],
    ] as const) {
      for (const path of [
        '/me',
        '/pageviews',
        '/presence',
        '/directory',
        '/top-pages',
        '/users',
        '/export.csv',
        `/pageviews?token=${tok}`,
      ])
        await (await get(url, path, tok)).arrayBuffer();
      for (const bad of forged) expect((await get(url, '/me', bad)).status).toBe(401);
    }
    const find = dev.hub.db.models.pageviews.find;
    dev.hub.db.models.pageviews.find = (() => {
      throw new Error('boom');
    }) as typeof find;
    expect((await get(dev.url, '/pageviews', devTok)).status).toBe(500);
    dev.hub.db.models.pageviews.find = find;

    // Sockets: handshakes with auth, renewal, events, failing handshakes.
    const tracker = await FakeTracker.connect(dev.url, devTok, { reconnection: false });
    const pv = tracker.pageview('/logged');
    expect(await tracker.send(pv)).toEqual({ ok: true });
    await tracker.send({ ...tracker.heartbeat(pv.id, 10), token: devTok });
    await tracker.send(tracker.heartbeat(randomUUID(), 10));
    expect(
      await tracker.socket
        .timeout(3_000)
        .emitWithAck(
          'auth',
          remember(
            await devToken(dev.url, { userId: 'u-log', role: 'location', agencyId: 'ag-log', locationId: 'loc-1' }),
          ),
        ),
    ).toMatchObject({ ok: true });
    expect(await tracker.socket.timeout(3_000).emitWithAck('auth', forged[0]!)).toMatchObject({ ok: false });
    const live = rawSocket(sso.url, '/live', { auth: { token: ssoTok } });
    await new Promise((r) => live.once('snapshot', r));
    for (const bad of forged)
      expect(await handshake(dev.url, '/track', { auth: { token: bad } })).not.toBe('connected');
    expect(await handshake(dev.url, '/live', { auth: { token: devTok }, query: { token: devTok } })).toBe(
      'token_in_query',
    );
    expect(
      await handshake(dev.url, '/live', { auth: { token: devTok }, extraHeaders: { origin: 'https://evil.example' } }),
    ).toBe('origin_forbidden');

    // The unload fallback: the token in the body, good and bad.
    const events = [tracker.heartbeat(pv.id, 10), tracker.leave(pv.id, 10)];
    expect(
      (await post(dev.url, '/collect', JSON.stringify({ token: devTok, events }), { 'content-type': 'text/plain' }))
        .status,
    ).toBe(200);
    expect(
      (await post(dev.url, '/collect', JSON.stringify({ token: forged[0], events }), { 'content-type': 'text/plain' }))
        .status,
    ).toBe(401);
    expect(
      (await post(dev.url, '/collect', `{"token":"${devTok}", broken`, { 'content-type': 'text/plain' })).status,
    ).toBe(400);
    tracker.close();
    live.close();
    await new Promise((r) => setTimeout(r, 100));

    const text = chunks.join('');
    // The logger did see all this (requests, refused events, disconnects, the 500).
    expect(text).toContain('"msg":"request"');
    expect(text).toContain('"msg":"request failed"');
    expect(text).toContain('event refused');
    const leaks: string[] = [];
    for (const s of secrets) {
      const parts = s.split('.').filter((p) => p.length >= 16);
      for (const needle of [s, ...parts, s.slice(0, 24), s.slice(-24)])
        if (text.includes(needle)) leaks.push(needle.slice(0, 40));
    }
    expect(leaks).toEqual([]);
  });
});
