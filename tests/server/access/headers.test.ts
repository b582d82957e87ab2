/**
 * Headers (issue 10, hole 7): /metrics needs METRICS_TOKEN (or, without one, a direct loopback
 * caller), and the dashboard's policy limits what it loads and who may frame it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardCsp } from '../../../server/src/http/static-routes.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';

const METRICS_TOKEN = 'metrics-token-0123456789';
let withToken: TestHub;
let without: TestHub;
beforeAll(async () => {
  [withToken, without] = await Promise.all([
    startHub({ METRICS_TOKEN, PUBLIC_ORIGINS: 'https://dash.example' }),
    startHub(),
  ]);
});
afterAll(() => Promise.all([withToken?.stop(), without?.stop()]));

const metrics = (t: TestHub, headers: Record<string, string> = {}) => fetch(`${t.url}/metrics`, { headers });

describe('/metrics', () => {
  it('with METRICS_TOKEN: only its bearer scrapes', async () => {
    const tries: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Bearer ${METRICS_TOKEN}x` },
    ];
    for (const h of tries) {
      const res = await metrics(withToken, h);
      expect(res.status, JSON.stringify(h)).toBe(401);
      expect(await res.text()).not.toContain('hub_');
    }
    const ok = await metrics(withToken, { authorization: `Bearer ${METRICS_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('hub_');
  });

  it('without METRICS_TOKEN: a direct loopback caller only, never one behind a proxy', async () => {
    expect((await metrics(without)).status).toBe(200);
    const proxied: Record<string, string>[] = [{ 'x-forwarded-for': '203.0.113.9' }, { forwarded: 'for=203.0.113.9' }];
    for (const h of proxied) {
      const res = await metrics(without, h);
      expect(res.status, JSON.stringify(h)).toBe(403);
      expect(await res.text()).not.toContain('hub_');
    }
  });
});

describe('the dashboard', () => {
  it('is served with a Content-Security-Policy that HighLevel and PUBLIC_ORIGINS may frame', async () => {
    const csp = dashboardCsp(['https://app.gohighlevel.com']);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(csp).toContain("frame-ancestors 'self' https://app.gohighlevel.com");
    const res = await fetch(`${withToken.url}/`);
    expect(res.status).toBe(200);
    const header = res.headers.get('content-security-policy') ?? '';
    expect(header).toContain("default-src 'self'");
    expect(header).toMatch(/frame-ancestors 'self'[^;]* https:\/\/app\.gohighlevel\.com/);
    expect(header).toMatch(/frame-ancestors[^;]* https:\/\/dash\.example/);
    await res.body?.cancel();
  });
});
