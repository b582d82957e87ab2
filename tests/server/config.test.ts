import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../server/src/config.ts';

describe('loadConfig', () => {
  it('has sane defaults with no variables at all', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATA_DIR: './data',
      HEARTBEAT_INTERVAL_MS: 15_000,
      IDLE_TIMEOUT_MS: 60_000,
      devLoginEnabled: true,
    });
    expect(c.MONGO_URL).toBeUndefined();
    expect(c.REDIS_URL).toBeUndefined();
  });

  it('parses lists and numbers', () => {
    const c = loadConfig({
      PORT: '8080',
      PUBLIC_ORIGINS: 'https://a.example, https://b.example/path',
      TRACKER_ORIGINS: '*',
      TRUST_PROXY: 'true',
    });
    expect(c.PORT).toBe(8080);
    expect(c.PUBLIC_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(c.TRACKER_ORIGINS).toBe('*');
    expect(c.TRUST_PROXY).toBe(true);
  });

  it.each([
    ['PORT', '70000'],
    ['HEARTBEAT_INTERVAL_MS', '4999'],
    ['HEARTBEAT_INTERVAL_MS', '60001'],
    ['IDLE_TIMEOUT_MS', 'soon'],
    ['REDIS_URL', 'localhost:6379'],
    ['PUBLIC_ORIGINS', 'not a url'],
    ['HUB_JWT_SECRET', 'short'],
    ['SSO_CLAIMS', '{nope'],
    ['SSO_CLAIMS', '{"bogus":"x"}'],
    ['NODE_ENV', 'staging'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('requires HUB_JWT_SECRET in production and turns the dev login off there or with SSO', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('HUB_JWT_SECRET');
    expect(loadConfig({ NODE_ENV: 'production', HUB_JWT_SECRET: 'x'.repeat(32) }).devLoginEnabled).toBe(false);
    expect(loadConfig({ HIGHLEVEL_SSO_KEY: 'k' }).devLoginEnabled).toBe(false);
  });

  it('treats empty values as unset (docker-compose passes empty strings)', () => {
    expect(loadConfig({ MONGO_URL: '', SSO_JWKS_URL: '' }).MONGO_URL).toBeUndefined();
  });

  it('lists every variable for docs and the compose check', () => {
    expect(CONFIG_VARIABLES).toEqual(
      expect.arrayContaining([
        'PORT',
        'HOST',
        'MONGO_URL',
        'REDIS_URL',
        'DATA_DIR',
        'LOG_LEVEL',
        'PUBLIC_ORIGINS',
        'TRACKER_ORIGINS',
        'HUB_JWT_SECRET',
        'HIGHLEVEL_SSO_KEY',
        'SSO_JWKS_URL',
        'SSO_JWT_SECRET',
        'HEARTBEAT_INTERVAL_MS',
        'IDLE_TIMEOUT_MS',
      ]),
    );
  });
});
