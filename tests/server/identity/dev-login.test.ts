import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devLoginSchema } from '@activity-hub/protocol';
import { DEMO_USERS } from '../../../server/src/identity/demo-users.ts';
import { call, expectError, startApp, type TestApp } from './test-app.ts';

const demoAgencyUser = DEMO_USERS.find((u) => u.role === 'agency')!;
const demoLocationUser = DEMO_USERS.find((u) => u.role === 'location')!;

describe('dev login enabled (no SSO, not production)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.close());
  /** From the hub's own origin, as the dashboard signs in: a read token. */
  const dev = (body: unknown) => call(`${app.url}/api/v1/auth/dev`, { body, headers: { origin: app.url } });

  it('offers dev login and the demo users', async () => {
    const res = await call(`${app.url}/api/v1/auth/config`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ devLogin: true, highlevelSso: false, upstreamJwt: false, demoUsers: DEMO_USERS });
  });

  it('signs in a demo agency user and a demo location user', async () => {
    const a = await dev(demoAgencyUser);
    expect(a.status).toBe(200);
    expect(a.body.user).toEqual({ ...demoAgencyUser, locationId: null });
    expect(typeof a.body.token).toBe('string');
    expect(a.body.expiresAt).toBeGreaterThan(Date.now());
    const l = await dev(demoLocationUser);
    expect(l.body.user).toMatchObject({ role: 'location', locationId: demoLocationUser.locationId });
    expect((await call(`${app.url}/api/v1/me`, { token: l.body.token })).body.userId).toBe(demoLocationUser.userId);
  });

  it('fills a missing email with an empty string', async () => {
    const res = await dev({ userId: 'u9', name: 'Nine', role: 'agency', agencyId: 'acme' });
    expect(res.body.user).toEqual({
      userId: 'u9',
      name: 'Nine',
      email: '',
      role: 'agency',
      agencyId: 'acme',
      locationId: null,
    });
  });

  it('answers validation_failed for a bad body', async () => {
    expectError(await dev({ userId: 'u', name: 'U', role: 'location', agencyId: 'acme' }), 400, 'validation_failed');
    expectError(await dev({ ...demoAgencyUser, admin: true }), 400, 'validation_failed');
    expectError(await call(`${app.url}/api/v1/auth/dev`, { method: 'POST' }), 400, 'validation_failed');
  });
});

describe('dev login disabled', () => {
  it.each([
    ['HighLevel SSO is configured', { HIGHLEVEL_SSO_KEY: 'shared' }],
    ['an upstream JWT secret is configured', { SSO_JWT_SECRET: 's'.repeat(32) }],
    ['NODE_ENV=production', { NODE_ENV: 'production', HUB_JWT_SECRET: 'h'.repeat(32) }],
  ])('when %s', async (_name, env) => {
    const app = await startApp(env);
    try {
      expect(app.config.devLoginEnabled).toBe(false);
      expectError(await call(`${app.url}/api/v1/auth/dev`, { body: demoAgencyUser }), 404, 'dev_login_disabled');
      const cfg = await call(`${app.url}/api/v1/auth/config`);
      expect(cfg.body.devLogin).toBe(false);
      expect(cfg.body.demoUsers).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe('DEMO_USERS', () => {
  it('are valid dev logins: two agencies, one agency user and 2–3 location users each', () => {
    for (const u of DEMO_USERS) expect(devLoginSchema.safeParse(u).success).toBe(true);
    for (const agencyId of ['acme', 'globex']) {
      const users = DEMO_USERS.filter((u) => u.agencyId === agencyId);
      expect(users.filter((u) => u.role === 'agency')).toHaveLength(1);
      const locationUsers = users.filter((u) => u.role === 'location').length;
      expect(locationUsers).toBeGreaterThanOrEqual(2);
      expect(locationUsers).toBeLessThanOrEqual(3);
    }
    expect(new Set(DEMO_USERS.map((u) => u.userId)).size).toBe(DEMO_USERS.length);
  });
});
