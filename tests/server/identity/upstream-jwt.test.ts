import express from 'express';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, expectError, HUB_SECRET, listen, startApp, type TestApp } from './test-app.ts';

const UPSTREAM_SECRET = 'upstream-shared-secret-0123456789abcdef';
const CLAIMS = { sub: 'user_id', agencyId: 'org', locationId: 'loc', role: 'kind', name: 'display', email: 'mail' };

async function upstreamToken(
  claims: JWTPayload,
  key: Uint8Array | CryptoKey,
  header: { alg: string; kid?: string } = { alg: 'HS256' },
  opts: { iss?: string; aud?: string; exp?: number | null } = {},
): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader(header).setIssuedAt();
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? Math.floor(Date.now() / 1000) + 300);
  if (opts.iss) jwt.setIssuer(opts.iss);
  if (opts.aud) jwt.setAudience(opts.aud);
  return jwt.sign(key);
}
const secretKey = new TextEncoder().encode(UPSTREAM_SECRET);

describe('POST /auth/token with SSO_JWT_SECRET and SSO_CLAIMS', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({
      SSO_JWT_SECRET: UPSTREAM_SECRET,
      SSO_CLAIMS: JSON.stringify(CLAIMS),
      SSO_ISSUER: 'https://idp.example',
      SSO_AUDIENCE: 'hub',
    });
  });
  afterAll(() => app.close());
  /** Exchanges from the hub's own origin (a dashboard's read token) unless `origin` says otherwise. */
  const exchange = (token: string, origin: string | null = app.url) =>
    call(`${app.url}/api/v1/auth/token`, { method: 'POST', token, ...(origin ? { headers: { origin } } : {}) });
  const good = {
    user_id: 'u-77',
    org: 'org-1',
    loc: 'loc-3',
    kind: 'location',
    display: 'Ada Lovelace',
    mail: 'ada@example.com',
  };
  const sign = (claims: JWTPayload, opts: { iss?: string; aud?: string; exp?: number | null } = {}) =>
    upstreamToken(claims, secretKey, { alg: 'HS256' }, { iss: 'https://idp.example', aud: 'hub', ...opts });

  it('maps custom claim names to a hub token', async () => {
    const res = await exchange(await sign(good));
    expect(res.status).toBe(200);
    const user = {
      userId: 'u-77',
      agencyId: 'org-1',
      locationId: 'loc-3',
      role: 'location',
      name: 'Ada Lovelace',
      email: 'ada@example.com',
    };
    expect(res.body.user).toEqual(user);
    expect((await call(`${app.url}/api/v1/me`, { token: res.body.token })).body).toEqual(user);
  });

  it('defaults a missing role to a location user when a location is named', async () => {
    const { kind: _k, ...noRole } = good;
    expect((await exchange(await sign(noRole))).body.user.role).toBe('location');
    const { loc: _l, ...agencyOnly } = good;
    expect((await exchange(await sign({ ...agencyOnly, kind: 'agency', user_id: 42 }))).body.user).toMatchObject({
      role: 'agency',
      locationId: null,
      userId: '42',
    });
  });

  it('refuses a token with neither role nor locationId (least privilege, not an agency user)', async () => {
    const { kind: _k, loc: _l, ...bare } = good;
    const res = await exchange(await sign(bare));
    expectError(res, 401, 'upstream_token_invalid');
    expect(res.body.error.message).toContain('kind');
  });

  it('issues a track token without an Origin or from a tracker origin, a read token from its own', async () => {
    const token = await sign(good);
    expect((await exchange(token, null)).body.scope).toBe('track');
    expect((await exchange(token, app.url)).body.scope).toBe('read');
    expectError(await exchange(token, 'https://elsewhere.example'), 403, 'origin_forbidden');
  });

  it.each([
    ['wrong issuer', { iss: 'https://evil.example' }],
    ['wrong audience', { aud: 'other' }],
    ['no exp', { exp: null }],
    ['an expired exp', { exp: Math.floor(Date.now() / 1000) - 60 }],
  ])('answers 401 upstream_token_invalid for %s', async (_name, opts) => {
    expectError(await exchange(await sign(good, opts)), 401, 'upstream_token_invalid');
  });

  it('answers 401 upstream_token_invalid for bad signatures, algorithms and claims', async () => {
    const other = await upstreamToken(
      good,
      new TextEncoder().encode('x'.repeat(40)),
      { alg: 'HS256' },
      { iss: 'https://idp.example', aud: 'hub' },
    );
    expectError(await exchange(other), 401, 'upstream_token_invalid');
    const { privateKey } = await generateKeyPair('RS256');
    expectError(
      await exchange(
        await upstreamToken(good, privateKey, { alg: 'RS256' }, { iss: 'https://idp.example', aud: 'hub' }),
      ),
      401,
      'upstream_token_invalid',
    );
    expectError(await exchange(await sign({ ...good, kind: 'superuser' })), 401, 'upstream_token_invalid');
    const { org: _o, ...noAgency } = good;
    const res = await exchange(await sign(noAgency));
    expectError(res, 401, 'upstream_token_invalid');
    expect(res.body.error.message).toContain('org');
    expectError(await exchange('garbage'), 401, 'upstream_token_invalid');
    expectError(await call(`${app.url}/api/v1/auth/token`, { method: 'POST' }), 401, 'token_missing');
  });

  it('refuses a hub token where an upstream token is expected, and vice versa', async () => {
    const hub = await app.tokens.issue(
      {
        userId: 'u',
        name: 'U',
        email: '',
        role: 'agency',
        agencyId: 'a',
        locationId: null,
      },
      'read',
    );
    expectError(await exchange(hub.token), 401, 'upstream_token_invalid');
    expectError(await call(`${app.url}/api/v1/me`, { token: await sign(good) }), 401, 'token_invalid');
  });
});

describe('POST /auth/token with SSO_JWKS_URL', () => {
  let app: TestApp;
  let idp: { url: string; close(): Promise<void> };
  let privateKey: CryptoKey;
  let publicPem: string;
  let fetches = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicPem = await exportSPKI(pair.publicKey);
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const server = express();
    server.get('/jwks.json', (_req, res) => {
      fetches += 1;
      res.json({ keys: [jwk] });
    });
    idp = await listen(server);
    app = await startApp({ SSO_JWKS_URL: `${idp.url}/jwks.json` });
  });
  afterAll(async () => {
    await app.close();
    await idp.close();
  });
  const exchange = (token: string) => call(`${app.url}/api/v1/auth/token`, { method: 'POST', token });

  it('verifies RS256 tokens and fetches the key set once across requests', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await exchange(
        await upstreamToken({ sub: `u${i}`, agencyId: 'acme', role: 'agency', name: `User ${i}` }, privateKey, {
          alg: 'RS256',
          kid: 'k1',
        }),
      );
      expect(res.status).toBe(200);
      expect(res.body.user).toEqual({
        userId: `u${i}`,
        agencyId: 'acme',
        locationId: null,
        role: 'agency',
        name: `User ${i}`,
        email: '',
      });
    }
    expect(fetches).toBe(1);
    const cfg = await call(`${app.url}/api/v1/auth/config`);
    expect(cfg.body).toMatchObject({ devLogin: false, upstreamJwt: true, highlevelSso: false });
  });

  it('refuses an HS256 token signed with the public key PEM (key confusion)', async () => {
    const forged = await upstreamToken({ sub: 'x', agencyId: 'acme' }, new TextEncoder().encode(publicPem), {
      alg: 'HS256',
      kid: 'k1',
    });
    expectError(await exchange(forged), 401, 'upstream_token_invalid');
  });

  it('refuses a token signed by another key and alg:none', async () => {
    const other = await generateKeyPair('RS256');
    expectError(
      await exchange(
        await upstreamToken({ sub: 'x', agencyId: 'acme' }, other.privateKey, { alg: 'RS256', kid: 'k1' }),
      ),
      401,
      'upstream_token_invalid',
    );
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const none = `${b64({ alg: 'none', kid: 'k1' })}.${b64({ sub: 'x', agencyId: 'acme', exp: Math.floor(Date.now() / 1000) + 60 })}.`;
    expectError(await exchange(none), 401, 'upstream_token_invalid');
  });
});

describe('POST /auth/token edge cases', () => {
  it('answers 404 sso_not_configured when no upstream method is set', async () => {
    const app = await startApp();
    try {
      expectError(
        await call(`${app.url}/api/v1/auth/token`, { method: 'POST', token: 'a.b.c' }),
        404,
        'sso_not_configured',
      );
    } finally {
      await app.close();
    }
  });

  it('refuses a hub token even when the upstream secret equals the hub secret', async () => {
    const app = await startApp({ SSO_JWT_SECRET: Buffer.from(HUB_SECRET).toString() });
    try {
      const hub = await app.tokens.issue(
        {
          userId: 'u',
          name: 'U',
          email: '',
          role: 'agency',
          agencyId: 'a',
          locationId: null,
        },
        'read',
      );
      expectError(
        await call(`${app.url}/api/v1/auth/token`, { method: 'POST', token: hub.token }),
        401,
        'upstream_token_invalid',
      );
    } finally {
      await app.close();
    }
  });

  it('answers 503 unavailable when the key set cannot be fetched', async () => {
    const dead = await listen(express());
    const url = dead.url;
    await dead.close();
    const app = await startApp({ SSO_JWKS_URL: `${url}/jwks.json` });
    try {
      const { privateKey } = await generateKeyPair('RS256');
      const token = await upstreamToken({ sub: 'x', agencyId: 'acme' }, privateKey, { alg: 'RS256', kid: 'k1' });
      expectError(await call(`${app.url}/api/v1/auth/token`, { method: 'POST', token }), 503, 'unavailable');
    } finally {
      await app.close();
    }
  });
});
