import { describe, expect, it } from 'vitest';
import type { TrackEventInput } from '../../protocol/src/track.ts';
import { createOutbox, withAge, type OutboxItem, type StorageLike } from '../../tracker/src/outbox.ts';

const memory = (init: Record<string, string> = {}): StorageLike & { data: Record<string, string> } => ({
  data: init,
  getItem(k) {
    return this.data[k] ?? null;
  },
  setItem(k, v) {
    this.data[k] = v;
  },
});

let seq = 0;
const base = (id: string) => ({ id, seq: seq++, tabId: 'tab' });
const pv = (id: string): OutboxItem => ({
  e: { type: 'pageview', ...base(id), url: 'https://a/x', path: '/x' },
  at: 1,
});
const hb = (
  id: string,
  pageviewId: string,
  engagedMs: number,
  state: 'active' | 'idle' | 'hidden' = 'active',
): OutboxItem => ({
  e: { type: 'heartbeat', ...base(id), pageviewId, engagedMs, state },
  at: 1,
});
const leave = (id: string, pageviewId: string): OutboxItem => ({
  e: { type: 'leave', ...base(id), pageviewId, engagedMs: 0, reason: 'navigate' },
  at: 1,
});
const ids = (items: OutboxItem[]) => items.map((i) => i.e.id);

describe('outbox', () => {
  it('persists and restores, dropping the per-page-load clock', () => {
    const s = memory();
    const a = createOutbox(s, 'k');
    a.push({ ...pv('p1'), p: 123 });
    a.push(hb('h1', 'p1', 10));
    const b = createOutbox(s, 'k');
    expect(ids(b.items)).toEqual(['p1', 'h1']);
    expect(b.items[0]!.p).toBeUndefined();
    b.remove('p1');
    expect(ids(createOutbox(s, 'k').items)).toEqual(['h1']);
  });

  it('survives corrupt or hostile storage', () => {
    expect(createOutbox(memory({ k: '{not json' }), 'k').items).toEqual([]);
    expect(createOutbox(memory({ k: '[null, 1, {"e": {}}]' }), 'k').items).toEqual([]);
    const throwing: StorageLike = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    const box = createOutbox(throwing, 'k');
    box.push(pv('p1'));
    expect(ids(box.items)).toEqual(['p1']);
  });

  it('when full, merges consecutive heartbeats of one page view (earlier id, summed time, latest state)', () => {
    const box = createOutbox(memory(), 'k', 3);
    box.push(pv('p1'));
    box.push(hb('h1', 'p1', 100));
    box.push(hb('h2', 'p1', 200, 'active'));
    box.push(hb('h3', 'p1', 300, 'idle'));
    expect(ids(box.items)).toEqual(['p1', 'h1', 'h3']);
    box.push(hb('h4', 'p1', 400, 'hidden'));
    expect(box.items.length).toBe(3);
    const merged = box.items
      .filter((i) => i.e.type === 'heartbeat')
      .map((i) => i.e as Extract<TrackEventInput, { type: 'heartbeat' }>);
    expect(merged.reduce((n, e) => n + e.engagedMs, 0)).toBe(1000);
    expect(merged[0]!.id).toBe('h1');
    expect(merged.at(-1)!.state).toBe('hidden');
  });

  it('does not merge heartbeats of different page views; drops heartbeats, then leaves, never page views', () => {
    const box = createOutbox(memory(), 'k', 4);
    box.push(pv('p1'));
    box.push(hb('h1', 'p1', 1));
    box.push(leave('l1', 'p1'));
    box.push(pv('p2'));
    box.push(hb('h2', 'p2', 1));
    expect(ids(box.items)).toEqual(['p1', 'l1', 'p2', 'h2']);
    box.push(pv('p3'));
    expect(ids(box.items)).toEqual(['p1', 'l1', 'p2', 'p3']);
    box.push(pv('p4'));
    expect(ids(box.items)).toEqual(['p1', 'p2', 'p3', 'p4']);
    box.push(pv('p5'));
    // Over the bound rather than losing a page view.
    expect(ids(box.items)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('never merges or drops items that may already be stored (sent)', () => {
    const box = createOutbox(memory(), 'k', 2);
    box.push(hb('h1', 'p1', 100));
    box.sent = 1;
    box.push(hb('h2', 'p1', 200));
    box.push(hb('h3', 'p1', 300));
    expect(ids(box.items)).toEqual(['h1', 'h2']);
    expect((box.items[0]!.e as { engagedMs: number }).engagedMs).toBe(100);
    expect((box.items[1]!.e as { engagedMs: number }).engagedMs).toBe(500);
    box.remove('h1');
    expect(box.sent).toBe(0);
  });

  it("is owned by one user: another owner's events are removed and returned, across reloads too", () => {
    const s = memory();
    const a = createOutbox(s, 'k');
    expect(a.own('A')).toEqual([]);
    a.push(pv('p1'));
    a.push(hb('h1', 'p1', 5));
    expect(a.items.map((i) => i.u)).toEqual(['A', 'A']);
    // A renewal of the same user keeps them.
    expect(a.own('A')).toEqual([]);
    // Restored after a reload, still A's: a page of user B drops them and never sends them.
    const b = createOutbox(s, 'k');
    expect(b.items.map((i) => i.u)).toEqual(['A', 'A']);
    b.sent = 1;
    expect(ids(b.own('B'))).toEqual(['p1', 'h1']);
    expect(b.items).toEqual([]);
    expect(b.sent).toBe(0);
    b.push(pv('p2'));
    expect(createOutbox(s, 'k').items.map((i) => [i.e.id, i.u])).toEqual([['p2', 'B']]);
    // Untagged items (an older tracker's) belong to nobody known: removed too.
    const c = createOutbox(memory({ k: JSON.stringify([pv('old')]) }), 'k');
    expect(ids(c.own('B'))).toEqual(['old']);
  });

  it('keeps order under many events and stays bounded', () => {
    const box = createOutbox(memory(), 'k', 200);
    box.push(pv('p'));
    for (let i = 0; i < 1000; i++) box.push(hb('h' + i, 'p', 1));
    expect(box.items.length).toBeLessThanOrEqual(200);
    expect(box.items[0]!.e.id).toBe('p');
    expect(box.items.reduce((n, i) => n + ((i.e as { engagedMs?: number }).engagedMs ?? 0), 0)).toBe(1000);
  });
});

describe('withAge', () => {
  it('uses the monotonic clock for this page load and the wall clock for restored events', () => {
    const e = pv('p').e;
    expect(withAge({ e, at: 0, p: 1000 }, 1500.4, 99_999).ageMs).toBe(500);
    expect(withAge({ e, at: 10_000 }, 1, 12_500).ageMs).toBe(2500);
    expect(withAge({ e, at: 20_000 }, 1, 12_500).ageMs).toBe(0);
    expect(withAge({ e, at: 0 }, 1, 30 * 86_400_000).ageMs).toBe(7 * 86_400_000);
  });
});
