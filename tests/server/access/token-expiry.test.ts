/**
 * A socket lives no longer than its token: at expiry the hub says `bye` {code:'token_expired'}
 * and disconnects /live and /track alike. Renewing through the `auth` event before expiry keeps
 * the socket; a renewed token for someone else (or an expired one) is refused and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ack, PresenceSnapshot } from '@activity-hub/protocol';
import { eventually, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';
import { disconnected, rawSocket, signHubToken, type Identity } from './sockets.ts';

let t: TestHub;
beforeAll(async () => {
  t = await startHub();
});
afterAll(() => t?.stop());

const person = (): Identity => ({
  sub: `u-${randomUUID().slice(0, 6)}`,
  agencyId: `ag-${randomUUID().slice(0, 6)}`,
  locationId: 'loc-1',
  role: 'location',
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A /live and a /track socket on the same short-lived token, both connected. */
async function pair(token: string) {
  const live = rawSocket(t.url, '/live', { auth: { token } });
  await new Promise<void>((resolve, reject) => {
    live.once('snapshot', () => resolve());
    live.once('connect_error', reject);
  });
  const track = await FakeTracker.connect(t.url, token, { reconnection: false });
  return { live, track, close: () => (live.close(), track.close()) };
}

const renew = (
  s: { timeout(ms: number): { emitWithAck(ev: 'auth', token: string): Promise<unknown> } },
  token: string,
) => s.timeout(3_000).emitWithAck('auth', token) as Promise<Ack<{ expiresAt: number }>>;

describe('token expiry on live sockets', () => {
  it.concurrent('disconnects /live and /track with bye token_expired when the token runs out', async () => {
    const token = await signHubToken(person(), { expInSec: 2 });
    const { live, track, close } = await pair(token);
    try {
      const ends = [disconnected(live), disconnected(track.socket)];
      expect(await Promise.all(ends)).toEqual(['io server disconnect', 'io server disconnect']);
      const bye = { code: 'token_expired', message: expect.any(String), reconnect: false };
      expect(live.byes).toEqual([bye]);
      expect(track.byes).toEqual([bye]);
    } finally {
      close();
    }
  });

  it.concurrent('renewal with the same identity keeps both sockets past the first expiry', async () => {
    const who = person();
    const first = await signHubToken(who, { expInSec: 2 });
    const { live, track, close } = await pair(first);
    try {
      const next = await signHubToken(who, { expInSec: 600 });
      for (const s of [live, track.socket]) {
        const ack = await renew(s, next);
        expect(ack.ok && ack.data.expiresAt).toBeGreaterThan(Date.now() + 500_000);
      }
      // Past the first token's expiry (plus margin): nothing happened, and both sockets still work.
      await sleep(3_500);
      expect(live.connected && track.socket.connected).toBe(true);
      expect(live.byes).toEqual([]);
      expect(track.byes).toEqual([]);
      expect(await track.send(track.pageview('/after-renewal'))).toEqual({ ok: true });
      const sync = (await live.timeout(3_000).emitWithAck('sync')) as Ack<PresenceSnapshot>;
      expect(sync.ok && sync.data.entries.map((e) => e.userId)).toEqual([who.sub]);
    } finally {
      close();
    }
  });

  it.concurrent('refuses a renewed token for anyone else, or an expired one, and still expires on time', async () => {
    const who = person();
    const { live, track, close } = await pair(await signHubToken(who, { expInSec: 3 }));
    try {
      const others: Identity[] = [
        { ...who, sub: 'someone-else' },
        { ...who, agencyId: 'another-agency' },
        { ...who, role: 'agency', locationId: null },
        { ...who, locationId: 'loc-2' },
      ];
      for (const s of [live, track.socket]) {
        for (const other of others) {
          expect(await renew(s, await signHubToken(other, { expInSec: 600 })), JSON.stringify(other)).toMatchObject({
            ok: false,
            error: { code: 'forbidden' },
          });
        }
        expect(await renew(s, await signHubToken(who, { expInSec: -60 }))).toMatchObject({
          ok: false,
          error: { code: 'token_expired' },
        });
        expect(await renew(s, '')).toMatchObject({ ok: false, error: { code: 'token_missing' } });
      }
      // The refused renewals kept the original identity and its expiry.
      expect(await track.send(track.pageview('/still-me'))).toEqual({ ok: true });
      await Promise.all([disconnected(live), disconnected(track.socket)]);
      expect(live.byes.map((b) => b.code)).toEqual(['token_expired']);
      expect(track.byes.map((b) => b.code)).toEqual(['token_expired']);
    } finally {
      close();
    }
  });

  it.concurrent('a token at the edge of the clock tolerance never keeps a socket', async () => {
    // Expired 2 s ago: inside the 5 s skew tolerance the verifier allows, so the handshake passes,
    // but the expiry watch ends the socket at once.
    const token = await signHubToken(person(), { expInSec: -2 });
    const s = rawSocket(t.url, '/live', { auth: { token } });
    try {
      const outcome = await new Promise<string>((resolve) => {
        s.once('connect_error', (e: Error & { data?: { code?: string } }) => resolve(e.data?.code ?? 'error'));
        s.once('disconnect', () => resolve('disconnected'));
      });
      expect(['token_expired', 'disconnected']).toContain(outcome);
      if (outcome === 'disconnected') await eventually(() => s.byes.some((b) => b.code === 'token_expired'), 1_000);
    } finally {
      s.close();
    }
  });
});
