import { webcrypto } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../protocol/src/constants.ts';
import type { TrackEventInput } from '../../protocol/src/track.ts';
import { collectBody } from '../../tracker/src/beacon.ts';
import { safeStorage, tabIdentity, uuid } from '../../tracker/src/ids.ts';
import type { StorageLike } from '../../tracker/src/outbox.ts';
import { identityOf, jwtExpiry } from '../../tracker/src/token.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const b64url = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

afterEach(() => vi.unstubAllGlobals());

describe('jwtExpiry', () => {
  it('reads exp (seconds) from a base64url payload as epoch ms', () => {
    expect(jwtExpiry(`${b64url({ alg: 'HS256' })}.${b64url({ exp: 1_700_000_000, n: 'ü?>' })}.sig`)).toBe(
      1_700_000_000_000,
    );
  });
  it('is undefined for anything else', () => {
    expect(jwtExpiry('opaque')).toBeUndefined();
    expect(jwtExpiry('a.bnVsbA.c')).toBeUndefined(); // payload "null"
    expect(jwtExpiry(`a.${b64url({ sub: 'x' })}.c`)).toBeUndefined();
    expect(jwtExpiry('a.!!!.c')).toBeUndefined();
  });
});

describe('identityOf', () => {
  it('is the same for renewals of one user, different for another user, location or role', () => {
    const tok = (c: object) => `${b64url({ alg: 'HS256' })}.${b64url(c)}.sig`;
    const a = { sub: 'u1', agencyId: 'ag', locationId: 'l1', role: 'location' };
    expect(identityOf(tok({ ...a, exp: 1 }))).toBe(identityOf(tok({ ...a, exp: 2, name: 'x' })));
    for (const other of [{ sub: 'u2' }, { agencyId: 'ag2' }, { locationId: null }, { role: 'agency' }])
      expect(identityOf(tok({ ...a, ...other }))).not.toBe(identityOf(tok(a)));
    // Opaque tokens are one unknown identity.
    expect(identityOf('opaque')).toBe('');
    expect(identityOf('other')).toBe('');
  });
});

describe('uuid', () => {
  it('makes v4 UUIDs, with and without crypto.randomUUID', () => {
    expect(uuid()).toMatch(UUID);
    // Insecure contexts (plain http) have no randomUUID.
    vi.stubGlobal('crypto', { getRandomValues: (a: Uint8Array) => webcrypto.getRandomValues(a) });
    const many = new Set(Array.from({ length: 500 }, uuid));
    expect(many.size).toBe(500);
    for (const u of many) expect(u).toMatch(UUID);
  });
});

describe('tab identity', () => {
  it('keeps the tab id and continues seq across reloads', () => {
    const data: Record<string, string> = {};
    const s: StorageLike = { getItem: (k) => data[k] ?? null, setItem: (k, v) => void (data[k] = v) };
    const a = tabIdentity(s);
    expect(a.id).toMatch(UUID);
    expect([a.next(), a.next()]).toEqual([0, 1]);
    expect(a.copy).toBe(false);
    // A reload: pagehide marked the page gone first.
    a.live(false);
    const b = tabIdentity(s);
    expect(b).toMatchObject({ id: a.id, copy: false });
    expect(b.next()).toBe(2);
  });

  it('gives a copy of a live tab (a duplicated tab) a new id and counter', () => {
    const data: Record<string, string> = {};
    const s: StorageLike = { getItem: (k) => data[k] ?? null, setItem: (k, v) => void (data[k] = v) };
    const a = tabIdentity(s);
    a.next();
    // The duplicate starts with a copy of the original's storage while the original is open.
    const copy: Record<string, string> = { ...data };
    const b = tabIdentity({ getItem: (k) => copy[k] ?? null, setItem: (k, v) => void (copy[k] = v) });
    expect(b.copy).toBe(true);
    expect(b.id).not.toBe(a.id);
    expect(b.id).toMatch(UUID);
    expect(b.next()).toBe(0);
    // The original is unaffected, and the copy's own reload keeps the copy's id.
    expect(a.next()).toBe(1);
    b.live(false);
    expect(tabIdentity({ getItem: (k) => copy[k] ?? null, setItem: (k, v) => void (copy[k] = v) }).id).toBe(b.id);
  });

  it('safeStorage never throws and never lets a counter go back', () => {
    let fail = false;
    const data: Record<string, string> = {};
    const real: StorageLike = {
      getItem: (k) => data[k] ?? null,
      setItem: (k, v) => {
        if (fail) throw new Error('quota');
        data[k] = v;
      },
    };
    const s = safeStorage(() => real);
    const t = tabIdentity(s);
    t.next();
    fail = true;
    expect([t.next(), t.next()]).toEqual([1, 2]);
    const missing = safeStorage(() => {
      throw new Error('no storage');
    });
    expect(missing.getItem('x')).toBeNull();
    missing.setItem('x', '1');
    expect(missing.getItem('x')).toBe('1');
  });
});

describe('collectBody', () => {
  const ev = (i: number, title = ''): TrackEventInput => ({
    type: 'pageview',
    id: `id-${i}`,
    seq: i,
    tabId: 't',
    url: 'https://a/x',
    path: '/x',
    title,
  });

  it('sends at most a batch of the oldest events, with the token in the body', () => {
    const events = Array.from({ length: 120 }, (_, i) => ev(i));
    const r = collectBody('tok', events)!;
    const body = JSON.parse(r.body);
    expect(r.count).toBe(LIMITS.batchSize);
    expect(body.token).toBe('tok');
    expect(body.events.map((e: { seq: number }) => e.seq)).toEqual(events.slice(0, LIMITS.batchSize).map((e) => e.seq));
  });

  it('stays under the byte limit, counting UTF-8 bytes', () => {
    const events = Array.from({ length: 50 }, (_, i) => ev(i, '€'.repeat(500)));
    const r = collectBody('tok', events)!;
    expect(new TextEncoder().encode(r.body).length).toBeLessThan(60_000);
    expect(r.count).toBeGreaterThan(30);
    expect(r.count).toBeLessThan(50);
  });

  it('has nothing to send for an empty queue', () => {
    expect(collectBody('tok', [])).toBeUndefined();
  });
});
