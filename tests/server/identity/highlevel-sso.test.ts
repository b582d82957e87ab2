import CryptoJS from 'crypto-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../server/src/domain/app-error.ts';
import { decryptSsoPayload, mapSsoUser } from '../../../server/src/identity/highlevel-sso.ts';
import { call, expectError, startApp, type TestApp } from './test-app.ts';

const KEY = 'hl-shared-secret-7f3a9c';
const encrypt = (fields: unknown, key = KEY): string => CryptoJS.AES.encrypt(JSON.stringify(fields), key).toString();

const agencyFields = {
  userId: 'hl-u-1',
  companyId: 'comp-9',
  role: 'admin',
  type: 'agency',
  userName: 'Dana Scully',
  email: 'dana@agency.example',
  isAgencyOwner: true,
  extraField: 'ignored',
};

describe('decryptSsoPayload', () => {
  it('decrypts what crypto-js encrypts, including non-ASCII text', () => {
    const fields = { ...agencyFields, userName: 'Zoë Müller 日本' };
    expect(decryptSsoPayload(encrypt(fields), KEY)).toEqual(fields);
  });

  it.each([
    ['empty', ''],
    ['not base64', '%%%not-base64%%%'],
    ['no Salted__ header', Buffer.alloc(48, 7).toString('base64')],
    ['too short', Buffer.from('Salted__12345678').toString('base64')],
  ])('throws sso_payload_invalid when %s', (_name, payload) => {
    let caught: unknown;
    try {
      decryptSsoPayload(payload, KEY);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('sso_payload_invalid');
  });

  it('refuses a payload made with another key', () => {
    for (let i = 0; i < 20; i++) {
      expect(() => decryptSsoPayload(encrypt(agencyFields, `other-key-${i}`), KEY)).toThrow(/Invalid SSO payload/);
    }
  });
});

describe('mapSsoUser', () => {
  it('keeps an agency user inside a sub-account an agency user', () => {
    expect(mapSsoUser({ ...agencyFields, activeLocation: 'loc-5' })).toEqual({
      userId: 'hl-u-1',
      name: 'Dana Scully',
      email: 'dana@agency.example',
      role: 'agency',
      agencyId: 'comp-9',
      locationId: 'loc-5',
    });
  });

  it('refuses a location user without activeLocation and names missing fields only', () => {
    expect(() => mapSsoUser({ ...agencyFields, type: 'location' })).toThrow(/activeLocation/);
    expect(() => mapSsoUser({ userId: 'x', email: 'secret@example.com' })).toThrow(/companyId/);
    expect(() => mapSsoUser({ userId: 'x', email: 'secret@example.com' })).not.toThrow(/secret@example/);
  });
});

describe('POST /auth/sso', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startApp({ HIGHLEVEL_SSO_KEY: KEY });
  });
  afterAll(() => app.close());
  /** From the hub's own origin, as the Custom Page signs in: a read token. */
  const sso = (body: unknown) => call(`${app.url}/api/v1/auth/sso`, { body, headers: { origin: app.url } });

  it('signs in an agency user', async () => {
    const res = await sso({ payload: encrypt(agencyFields) });
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({
      userId: 'hl-u-1',
      name: 'Dana Scully',
      email: 'dana@agency.example',
      role: 'agency',
      agencyId: 'comp-9',
      locationId: null,
    });
    const me = await call(`${app.url}/api/v1/me`, { token: res.body.token });
    expect(me.body).toEqual(res.body.user);
  });

  it('signs in an agency user inside a location', async () => {
    const res = await sso({ payload: encrypt({ ...agencyFields, activeLocation: 'loc-5' }) });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ role: 'agency', agencyId: 'comp-9', locationId: 'loc-5' });
  });

  it('signs in a location user', async () => {
    const fields = {
      userId: 'hl-u-2',
      companyId: 'comp-9',
      role: 'user',
      type: 'location',
      activeLocation: 'loc-7',
      userName: 'Fox Mulder',
      email: 'fox@loc.example',
    };
    const res = await sso({ payload: encrypt(fields) });
    expect(res.status).toBe(200);
    expect(res.body.user).toEqual({
      userId: 'hl-u-2',
      name: 'Fox Mulder',
      email: 'fox@loc.example',
      role: 'location',
      agencyId: 'comp-9',
      locationId: 'loc-7',
    });
  });

  it.each([
    ['made with another key', () => encrypt(agencyFields, 'not-the-shared-secret'), /wrong shared secret|not JSON/],
    ['truncated', () => encrypt(agencyFields).slice(0, 60), /truncated/],
    [
      'truncated by one block',
      () => Buffer.from(encrypt(agencyFields), 'base64').subarray(0, -16).toString('base64'),
      /cannot decrypt|not JSON/,
    ],
    ['not JSON', () => CryptoJS.AES.encrypt('definitely { not json', KEY).toString(), /not JSON/],
    ['fields missing', () => encrypt({ userId: 'x', type: 'agency' }), /companyId/],
    ['a location type without activeLocation', () => encrypt({ ...agencyFields, type: 'location' }), /activeLocation/],
    ['not base64', () => '!!!! this is not base64 at all !!!!', /not base64/],
    ['empty', () => '', /payload/],
  ])('answers 400 sso_payload_invalid for a payload %s', async (_name, make, reason) => {
    const res = await sso({ payload: make() });
    expectError(res, 400, 'sso_payload_invalid');
    expect(res.body.error.message).toMatch(reason);
  });

  it('answers 400 sso_payload_invalid for a body without payload', async () => {
    expectError(await sso({}), 400, 'sso_payload_invalid');
    expectError(await sso({ payload: 42 }), 400, 'sso_payload_invalid');
  });

  it('turns dev login off and says so in /auth/config', async () => {
    expectError(
      await call(`${app.url}/api/v1/auth/dev`, { body: { userId: 'u', name: 'U', role: 'agency', agencyId: 'a' } }),
      404,
      'dev_login_disabled',
    );
    const cfg = await call(`${app.url}/api/v1/auth/config`);
    expect(cfg.body).toEqual({ devLogin: false, highlevelSso: true, upstreamJwt: false, demoUsers: [] });
  });
});

describe('POST /auth/sso: the Origin decides the scope', () => {
  it('gives HighLevel’s app (TRACKER_ORIGINS) a track token and the Custom Page a read token', async () => {
    const APP = 'https://app.gohighlevel.com';
    const app = await startApp({ HIGHLEVEL_SSO_KEY: KEY, TRACKER_ORIGINS: APP });
    try {
      // The Custom JS and the Custom Page get the same payload: only the Origin tells them apart.
      const payload = encrypt(agencyFields);
      const from = (origin: string, extra = {}) =>
        call(`${app.url}/api/v1/auth/sso`, { body: { payload, ...extra }, headers: { origin } });
      expect((await from(APP)).body.scope).toBe('track');
      expect((await from(app.url)).body.scope).toBe('read');
      // A body field naming a scope is refused, not obeyed.
      expectError(await from(APP, { scope: 'read' }), 400, 'sso_payload_invalid');
      expectError(await from('https://evil.example'), 403, 'origin_forbidden');
    } finally {
      await app.close();
    }
  });
});

describe('POST /auth/sso without a shared secret', () => {
  it('answers sso_not_configured', async () => {
    const app = await startApp();
    try {
      expectError(
        await call(`${app.url}/api/v1/auth/sso`, { body: { payload: encrypt(agencyFields) } }),
        404,
        'sso_not_configured',
      );
    } finally {
      await app.close();
    }
  });
});
