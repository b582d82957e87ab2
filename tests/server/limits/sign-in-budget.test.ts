/**
 * Per-IP budgets on `/api/v1/auth/*` (issue 10, holes 3 and 10): sign-in, the SSO exchange and
 * refresh are refused past the budget of the client's address with 429 + Retry-After, before
 * any body is read. Behind the proxy (TRUST_PROXY) the address is the one the proxy appended,
 * so a client cannot pick a fresh budget by writing its own X-Forwarded-For.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RATE_BUDGETS } from '@activity-hub/protocol';
import { startHub, type TestHub } from '../../helpers/hub.ts';

let direct: TestHub;
let proxied: TestHub;
// The default burst, refilled slowly, so that a busy machine cannot refill it during a test.
const signIn = { ...RATE_BUDGETS.signIn, perSecond: 0.5 };

beforeAll(async () => {
  const RATE_LIMITS = JSON.stringify({ signIn });
  [direct, proxied] = await Promise.all([
    startHub({ RATE_LIMITS, HIGHLEVEL_SSO_KEY: 'sso-key-for-the-limit-test' }),
    startHub({ RATE_LIMITS, TRUST_PROXY: 'true' }),
  ]);
});
afterAll(async () => {
  await Promise.all([direct?.stop(), proxied?.stop()]);
});

const dev = { userId: 'u-ip', name: 'Ip', role: 'agency', agencyId: 'ag-ip' };

async function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as unknown };
}

describe('per-IP budget on /auth/*', () => {
  it('refuses the SSO exchange from one address past its budget, with 429 and Retry-After', async () => {
    const n = signIn.burst + 40;
    const replies = await Promise.all(
      Array.from({ length: n }, () => post(direct.url, '/auth/sso', { payload: 'x'.repeat(64) })),
    );
    const limited = replies.filter((r) => r.status === 429);
    // Each exchange that got through was answered on its merits (a bad payload here).
    const answered = replies.filter((r) => r.status === 400);
    expect(answered.length).toBeLessThanOrEqual(signIn.burst + 5);
    expect(limited.length).toBeGreaterThanOrEqual(n - signIn.burst - 5);
    expect(limited[0]!.body).toMatchObject({ error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
    expect(Number(limited[0]!.retryAfter)).toBeGreaterThanOrEqual(1);
    // The same address is refused on every /auth route, before its body is even parsed.
    expect((await post(direct.url, '/auth/dev', dev)).status).toBe(429);
    const bad = await fetch(`${direct.url}/api/v1/auth/token`, { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(429);
  });

  it('behind the proxy: budgets follow the address the proxy appended, not what the client wrote', async () => {
    const from = (client: string, spoof?: string) => ({
      'x-forwarded-for': spoof ? `${spoof}, ${client}` : client,
    });
    const n = signIn.burst + 20;
    // Each request claims a fresh address in front; the proxy's own entry stays 203.0.113.7.
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        post(proxied.url, '/auth/dev', dev, from('203.0.113.7', `10.0.${i >> 8}.${i & 255}`)),
      ),
    );
    expect(replies.filter((r) => r.status === 200).length).toBeLessThanOrEqual(signIn.burst + 2);
    expect(replies.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(n - signIn.burst - 2);
    // Another client behind the same proxy has a budget of its own.
    expect((await post(proxied.url, '/auth/dev', dev, from('203.0.113.8'))).status).toBe(200);
    // IPv6 counts per /64: another address in the same /64 shares the budget.
    for (let i = 0; i < signIn.burst; i++)
      await post(proxied.url, '/auth/dev', dev, from(`2001:db8:1:2::${i.toString(16)}`));
    expect((await post(proxied.url, '/auth/dev', dev, from('2001:db8:1:2:ffff::1'))).status).toBe(429);
    expect((await post(proxied.url, '/auth/dev', dev, from('2001:db8:1:3::1'))).status).toBe(200);
  });
});
