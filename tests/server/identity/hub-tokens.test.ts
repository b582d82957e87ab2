import { exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HUB_TOKEN, type HubUser } from '@activity-hub/protocol';
import { createTokenService } from '../../../server/src/identity/hub-tokens.ts';
import { call, expectError, HUB_SECRET, startApp, type TestApp } from './test-app.ts';

const alice: HubUser = {
  userId: 'u1',
  name: 'Alice',
  email: 'alice@example.com',
  role: 'location',
  agencyId: 'acme',
  locationId: 'acme-north',
};
const b64url = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const nowSec = (): number => Math.floor(Date.now() / 1000);

/** Claims like a real hub token's, for forging variants. */
function goodClaims(): JWTPayload {
  return {
    sub: 'u1',
    agencyId: 'acme',
    locationId: 'acme-north',
    role: 'location',
    name: 'Alice',
    email: 'a@example.com',
    scope: 'read',
    jti: 'j1',
  };
}

/** Signs a token with full control over header, claims and key. */
async function forge(
  opts: {
    claims?: JWTPayload;
    header?: Record<string, unknown>;
    secret?: Uint8Array;
    iss?: string;
    aud?: string;
    iat?: number;
    exp?: number;
    nbf?: number;
  } = {},
): Promise<string> {
  const iat = opts.iat ?? nowSec();
  const jwt = new SignJWT(opts.claims ?? goodClaims())
    .setProtectedHeader({ alg: 'HS256', typ: HUB_TOKEN.type, ...opts.header })
    .setIssuer(opts.iss ?? HUB_TOKEN.issuer)
    .setAudience(opts.aud ?? HUB_TOKEN.audience)
    .setIssuedAt(iat)
    .setExpirationTime(opts.exp ?? iat + 600);
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(opts.secret ?? HUB_SECRET);
}

describe('hub tokens over HTTP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());
  const me = (token: string) => call(`${app.url}/api/v1/me`, { token });

  it('issues a token that GET /me accepts', async () => {
    const reply = await app.tokens.issue(alice, 'read');
    expect(reply.user).toEqual(alice);
    expect(reply.expiresAt).toBe((Math.floor(app.clock.now / 1000) + 3600) * 1000);
    const res = await me(reply.token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(alice);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('accepts a hand-made token with the right claims (the forge helper is sound)', async () => {
    expect((await me(await forge())).status).toBe(200);
  });

  it('refuses alg:none', async () => {
    const iat = nowSec();
    const token = `${b64url({ alg: 'none', typ: HUB_TOKEN.type })}.${b64url({ ...goodClaims(), iss: HUB_TOKEN.issuer, aud: HUB_TOKEN.audience, iat, exp: iat + 600 })}.`;
    expectError(await me(token), 401, 'token_invalid');
  });

  it('refuses HS256 signed with a public key PEM as the secret (key confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    expectError(await me(await forge({ secret: new TextEncoder().encode(pem) })), 401, 'token_invalid');
  });

  it('refuses an RS256 token (algorithm allow-list)', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const iat = nowSec();
    const token = await new SignJWT(goodClaims())
      .setProtectedHeader({ alg: 'RS256', typ: HUB_TOKEN.type })
      .setIssuer(HUB_TOKEN.issuer)
      .setAudience(HUB_TOKEN.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + 600)
      .sign(privateKey);
    expectError(await me(token), 401, 'token_invalid');
  });

  it.each([
    ['wrong issuer', { iss: 'someone-else' }],
    ['wrong audience', { aud: 'another-app' }],
    ['wrong typ', { header: { typ: 'JWT' } }],
    ['future nbf', { nbf: nowSec() + 3600 }],
    ['future iat', { iat: nowSec() + 3600 }],
    ['different secret', { secret: new TextEncoder().encode('another-secret-0123456789abcdef0123456789') }],
  ])('refuses a token with %s', async (_name, opts) => {
    expectError(await me(await forge(opts)), 401, 'token_invalid');
  });

  it('refuses a missing typ header', async () => {
    const token = await new SignJWT(goodClaims())
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(HUB_TOKEN.issuer)
      .setAudience(HUB_TOKEN.audience)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(HUB_SECRET);
    expectError(await me(token), 401, 'token_invalid');
  });

  it('answers token_expired for an expired token, and for one older than the ttl', async () => {
    const iat = nowSec() - 7200;
    expectError(await me(await forge({ iat, exp: iat + 600 })), 401, 'token_expired');
    // Signed with our key but with an exp far out: maxTokenAge still ends it.
    expectError(await me(await forge({ iat, exp: iat + 86_400 * 30 })), 401, 'token_expired');
  });

  it('refuses a tampered signature and a tampered payload', async () => {
    const { token } = await app.tokens.issue(alice, 'read');
    const [h, p, s] = token.split('.') as [string, string, string];
    const mid = Math.floor(s.length / 2);
    const flipped = s.slice(0, mid) + (s[mid] === 'A' ? 'B' : 'A') + s.slice(mid + 1);
    expectError(await me(`${h}.${p}.${flipped}`), 401, 'token_invalid');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    expectError(await me(`${h}.${b64url({ ...payload, role: 'agency' })}.${s}`), 401, 'token_invalid');
  });

  it.each([
    ['missing agencyId', { agencyId: undefined }],
    ['numeric agencyId', { agencyId: 123 }],
    ['unknown role', { role: 'admin' }],
    ['missing name', { name: undefined }],
    ['missing jti', { jti: undefined }],
    ['missing scope (a token from before scopes)', { scope: undefined }],
    ['unknown scope', { scope: 'admin' }],
    ['location user without locationId', { locationId: null }],
  ])('refuses a validly signed token with %s', async (_name, patch) => {
    const claims = { ...goodClaims(), ...patch } as JWTPayload;
    for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
    expectError(await me(await forge({ claims })), 401, 'token_invalid');
  });

  it('refuses garbage, missing tokens, other schemes and tokens in the query string', async () => {
    expectError(await me('not.a.jwt'), 401, 'token_invalid');
    expectError(await me('x'.repeat(9000)), 401, 'token_invalid');
    expectError(await call(`${app.url}/api/v1/me`), 401, 'token_missing');
    expectError(
      await call(`${app.url}/api/v1/me`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      401,
      'token_missing',
    );
    const { token } = await app.tokens.issue(alice, 'read');
    for (const param of ['token', 'access_token', 'jwt', 'auth', 'Token']) {
      // Refused even though the header carries a valid token: the URL already leaked it.
      expectError(await call(`${app.url}/api/v1/me?${param}=${token}`, { token }), 400, 'token_in_query');
    }
  });
});

describe('POST /auth/refresh', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({}, 600);
  });
  afterAll(() => app.close());
  const refresh = (token: string) => call(`${app.url}/api/v1/auth/refresh`, { method: 'POST', token });

  it('returns a new token with the same identity and a later expiry', async () => {
    const first = await app.tokens.issue(alice, 'read');
    app.clock.now += 2_000;
    const res = await refresh(first.token);
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual(alice);
    expect(res.body.token).not.toBe(first.token);
    expect(res.body.expiresAt).toBeGreaterThanOrEqual(first.expiresAt);
    const claims = await app.tokens.verify(res.body.token);
    expect(claims).toMatchObject({ sub: 'u1', agencyId: 'acme', locationId: 'acme-north', role: 'location' });
  });

  it.each(['track', 'read'] as const)('keeps the %s scope, whatever the origin of the refresh', async (scope) => {
    const first = await app.tokens.issue(alice, scope);
    for (const origin of [undefined, 'https://evil.example', app.url]) {
      const res = await call(`${app.url}/api/v1/auth/refresh`, {
        method: 'POST',
        token: first.token,
        ...(origin ? { headers: { origin } } : {}),
      });
      expect(res.status).toBe(200);
      expect(res.body.scope).toBe(scope);
      expect((await app.tokens.verify(res.body.token)).scope).toBe(scope);
    }
  });

  it('answers token_expired for an expired token', async () => {
    const old = await app.tokens.issue(alice, 'read');
    app.clock.now += 601_000 + 5_000;
    expectError(await refresh(old.token), 401, 'token_expired');
  });

  it('tolerates 5 s of clock skew, not more', async () => {
    const t = await app.tokens.issue(alice, 'read');
    app.clock.now += 603_000;
    expect((await refresh(t.token)).status).toBe(200);
    app.clock.now += 3_000;
    expectError(await refresh(t.token), 401, 'token_expired');
  });
});

describe('createTokenService', () => {
  it('refuses a short secret', () => {
    expect(() => createTokenService({ secret: new Uint8Array(16), ttlSec: 60 })).toThrow(/32 bytes/);
  });
});
