import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, PageviewItem } from '@activity-hub/protocol';
import { agencyRoom, userRoom } from '../../../server/src/domain/access.ts';
import { compositeKey, keyPart } from '../../../server/src/domain/keys.ts';
import { pageviewKey, sessionKey } from '../../../server/src/domain/tracking-types.ts';
import { apiGet, devToken, eventually, startHub, type TestHub } from '../../helpers/hub.ts';
import { FakeTracker } from '../../helpers/track-client.ts';

describe('composite keys', () => {
  const tricky = ['a', 'b', 'a:b', 'b:c', 'c', '%', '%3A', ':', 'a%3Ab', 'ü', 'é:ü', '日本', '🙂:%'];

  it('never collide for different parts, whatever the ids contain', () => {
    const seen = new Map<string, string>();
    for (const a of tricky)
      for (const u of tricky)
        for (const t of tricky) {
          const k = sessionKey(a, u, t);
          const who = JSON.stringify([a, u, t]);
          expect(seen.get(k) ?? who).toBe(who);
          seen.set(k, who);
        }
    const pv = new Set(tricky.flatMap((a) => tricky.map((i) => pageviewKey(a, i))));
    expect(pv.size).toBe(tricky.length ** 2);
  });

  it('escape a part exactly as encodeURIComponent does, whatever it holds', () => {
    const part = fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.uuid(), fc.string());
    fc.assert(
      fc.property(part, (id) => {
        let expected: string;
        try {
          expected = encodeURIComponent(id);
        } catch {
          // A lone surrogate cannot be encoded: refused the same way.
          expect(() => keyPart(id)).toThrow(URIError);
          return;
        }
        expect(keyPart(id)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
    expect(keyPart("AZaz09-_.!~*'()")).toBe("AZaz09-_.!~*'()");
    expect(keyPart('a b/c?d#é')).toBe('a%20b%2Fc%3Fd%23%C3%A9');
    expect(compositeKey('x y', 'b', 'c:d')).toBe('x%20y:b:c%3Ad');
  });

  it('escape each part the same way room names do (one helper)', () => {
    expect(sessionKey('a', 'b:c', 't')).not.toBe(sessionKey('a:b', 'c', 't'));
    expect(compositeKey('a:b', 'c')).toBe('a%3Ab:c');
    expect(agencyRoom('a:b')).toBe(`agency:${compositeKey('a:b')}`);
    expect(userRoom('a', 'b:c')).toBe(`user:${compositeKey('a', 'b:c')}`);
    // Plain ids keep their readable form, so keys are stable and the same on every instance.
    expect(sessionKey('ag-1', 'u-1', '00000000-0000-4000-8000-000000000001')).toBe(
      'ag-1:u-1:00000000-0000-4000-8000-000000000001',
    );
  });
});

describe('tenants whose ids join to the same string', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startHub({ FLUSH_INTERVAL_MS: '50' });
  });
  afterAll(async () => {
    await t.stop();
  });

  it('user "b:c" of agency "a" cannot end the page view of user "c" of agency "a:b" with the same tab id', async () => {
    const victimToken = await devToken(t.url, { userId: 'c', role: 'location', agencyId: 'a:b', locationId: 'l' });
    const attackerToken = await devToken(t.url, { userId: 'b:c', role: 'location', agencyId: 'a', locationId: 'l' });
    const victimBoss = await devToken(t.url, { userId: 'boss', role: 'agency', agencyId: 'a:b' });
    const victim = await FakeTracker.connect(t.url, victimToken);
    const pv = victim.pageview('/victim');
    expect((await victim.send(pv)).ok).toBe(true);
    const attacker = await FakeTracker.connect(t.url, attackerToken, { tabId: victim.tabId });
    expect((await attacker.send(attacker.pageview('/attacker'))).ok).toBe(true);
    expect((await attacker.send(attacker.leave(pv.id as string, 10))).ok).toBe(false);
    attacker.close();
    // The victim's page view is still open and still credited by its own heartbeats.
    expect((await victim.send(victim.heartbeat(pv.id as string, 500))).ok).toBe(true);
    await eventually(async () => {
      const r = await apiGet<Page<PageviewItem>>(t.url, '/api/v1/pageviews?limit=10', victimBoss);
      const item = r.body.items.find((p) => p.id === pv.id);
      return item && item.endedAt === null && item.engagedMs > 0 && r.body.items.length === 1;
    });
    const sessions = await t.hub.db.models.sessions
      .find({ id: victim.tabId }, { projection: { agencyId: 1, userId: 1 } })
      .toArray();
    expect(sessions.map((s) => [s.agencyId, s.userId]).sort()).toEqual([
      ['a', 'b:c'],
      ['a:b', 'c'],
    ]);
    victim.close();
  });
});
