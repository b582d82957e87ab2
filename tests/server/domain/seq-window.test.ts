import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EngagedLedger } from '../../../server/src/domain/engaged-ledger.ts';
import { ROLLUP_BUCKET_MS } from '../../../server/src/domain/rollup-keys.ts';
import { SEQ_WINDOW, addSeq, emptySeqWindow, hasSeq, seqWindowOf } from '../../../server/src/domain/seq-window.ts';

describe('seq window (bounded dedupe)', () => {
  it('knows every stored seq inside the window, and no other, in any arrival order', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(600), { maxLength: 300 }), (seqs) => {
        const w = emptySeqWindow();
        const stored = new Set<number>();
        for (const s of seqs) {
          expect(hasSeq(w, s)).toBe(stored.has(s) || s <= w.hi - SEQ_WINDOW);
          addSeq(w, s);
          stored.add(s);
        }
        const hi = Math.max(-1, ...seqs);
        for (let s = Math.max(0, hi - SEQ_WINDOW + 1); s <= hi + 2; s++) expect(hasSeq(w, s)).toBe(stored.has(s));
        // The stored form (the last SEQ_WINDOW seqs) rebuilds the same window.
        const kept = [...stored].sort((a, b) => a - b).slice(-SEQ_WINDOW);
        const again = seqWindowOf({ floor: hi - SEQ_WINDOW, seqs: kept });
        for (let s = 0; s <= hi + 2; s++) expect(hasSeq(again, s)).toBe(hasSeq(w, s));
      }),
    );
  });

  it('has the same size after 2 or 2,000 events', () => {
    const w = emptySeqWindow();
    addSeq(w, 1);
    const small = JSON.stringify(w).length;
    for (let s = 2; s < 2_000; s++) addSeq(w, s);
    expect(w.bits!.length).toBe(Math.ceil(SEQ_WINDOW / 25));
    expect(JSON.stringify(w).length).toBeLessThanOrEqual(small + 200);
  });
});

describe('engaged ledger (one user, all tabs)', () => {
  it('never grants more than a bucket, nor more than its elapsed part', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ ms: fc.nat(3_600_000), back: fc.nat(900_000) }), { maxLength: 40 }),
        (credits) => {
          const now = 10 * ROLLUP_BUCKET_MS + 300_000;
          const ledger = new EngagedLedger(600_000);
          let total = 0;
          for (const c of credits) total += ledger.grant('a:u', c.ms, now - c.back, now);
          // The horizon [now − 10 min, now] touches 2 buckets; the newest has had 5 minutes.
          expect(total).toBeLessThanOrEqual(ROLLUP_BUCKET_MS + 300_000);
        },
      ),
    );
  });

  it('keeps time of different users apart and forgets old buckets', () => {
    const ledger = new EngagedLedger(600_000);
    const now = 100 * ROLLUP_BUCKET_MS;
    expect(ledger.grant('a:u', 60_000, now, now)).toBe(60_000);
    expect(ledger.grant('a:v', 60_000, now, now)).toBe(60_000);
    ledger.prune(now + 2 * ROLLUP_BUCKET_MS);
    expect(ledger.size).toBe(0);
  });
});
