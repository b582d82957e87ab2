import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../tracker/src/config.ts';

const SRC = 'https://hub.test/tracker.js';

describe('parseConfig', () => {
  it('reads the script tag: token, default endpoint = the script origin', () => {
    expect(parseConfig({ token: ' abc ' }, undefined, SRC)).toEqual({
      token: 'abc',
      appId: undefined,
      endpoints: ['https://hub.test'],
      allowQuery: false,
      debug: false,
      retryMaxMs: 30_000,
    });
  });

  it('reads data-app-id, data-endpoint lists, data-debug', () => {
    const c = parseConfig(
      { appId: 'app1', endpoint: 'https://a.test/x/, https://b.test:8443, ftp://c.test, https://a.test', debug: '' },
      undefined,
      SRC,
    );
    expect(c.appId).toBe('app1');
    expect(c.endpoints).toEqual(['https://a.test', 'https://b.test:8443']);
    expect(c.debug).toBe(true);
    expect(parseConfig({ debug: 'false' }, undefined, SRC).debug).toBe(false);
  });

  it('parses data-allow-query', () => {
    expect(parseConfig({ allowQuery: '' }, undefined, SRC).allowQuery).toBe(true);
    expect(parseConfig({ allowQuery: 'true' }, undefined, SRC).allowQuery).toBe(true);
    expect(parseConfig({ allowQuery: 'false' }, undefined, SRC).allowQuery).toBe(false);
    expect(parseConfig({ allowQuery: 'tab, page' }, undefined, SRC).allowQuery).toEqual(['tab', 'page']);
  });

  it('reads window.activityHubConfig; data attributes win', () => {
    const g = {
      token: 'g',
      appId: 'ga',
      endpoints: ['https://e1.test', 'https://e2.test'],
      allowQuery: ['q'],
      debug: true,
    };
    expect(parseConfig({}, g, SRC)).toEqual({
      token: 'g',
      appId: 'ga',
      endpoints: ['https://e1.test', 'https://e2.test'],
      allowQuery: ['q'],
      debug: true,
      retryMaxMs: 30_000,
    });
    const c = parseConfig({ token: 'd', endpoint: 'https://d.test', allowQuery: 'false', debug: 'false' }, g, SRC);
    expect(c).toMatchObject({ token: 'd', endpoints: ['https://d.test'], allowQuery: false, debug: false });
    expect(
      parseConfig({}, { endpoint: 'https://one.test, https://two.test', allowQuery: true }, undefined),
    ).toMatchObject({
      endpoints: ['https://one.test', 'https://two.test'],
      allowQuery: true,
    });
  });

  it('has no endpoint for an inline script without one, and ignores junk', () => {
    expect(parseConfig({}, undefined, undefined).endpoints).toEqual([]);
    expect(parseConfig({}, 'junk', '').endpoints).toEqual([]);
    expect(parseConfig({ token: '   ' }, { token: 42 }, SRC).token).toBeUndefined();
  });

  it('takes a test-only retry cap from the global config, at least 100 ms', () => {
    expect(parseConfig({}, { retryMaxMs: 500 }, SRC).retryMaxMs).toBe(500);
    expect(parseConfig({}, { retryMaxMs: 5 }, SRC).retryMaxMs).toBe(100);
    expect(parseConfig({}, { retryMaxMs: 'x' }, SRC).retryMaxMs).toBe(30_000);
  });

  it('resolves a relative endpoint against the script URL', () => {
    expect(parseConfig({ endpoint: '/' }, undefined, SRC).endpoints).toEqual(['https://hub.test']);
  });
});
