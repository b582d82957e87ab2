import { LIMITS } from '@activity-hub/protocol';

/**
 * Bounded dedupe for a page view's events. Each event carries its tab's `seq` (one more per
 * event, in send order), so instead of every event id the hub keeps the highest seq stored and
 * which of the `SEQ_WINDOW` seqs below it were stored. A seq older than the window counts as
 * stored: a tracker's outbox holds at most `LIMITS.outboxSize` events, so anything it can still
 * re-send lies inside the window. The state has the same size after 2 or 2,000 heartbeats.
 */
export const SEQ_WINDOW = LIMITS.outboxSize;

const BITS = 25; // stays a small integer (Smi) in V8
const WORDS = Math.ceil(SEQ_WINDOW / BITS);

/** In memory: `hi` is the highest stored seq (-1: none); bit i of `bits` is seq `hi - i`. */
export interface SeqWindow {
  hi: number;
  bits: number[] | null;
}

/** In a document: seqs ≤ `floor` count as stored; `seqs` lists the stored ones above it. */
export interface StoredSeqs {
  floor: number;
  seqs: number[];
}

export const emptySeqWindow = (): SeqWindow => ({ hi: -1, bits: null });

function bit(w: SeqWindow, i: number): boolean {
  return w.bits !== null && ((w.bits[Math.floor(i / BITS)]! >> (i % BITS)) & 1) === 1;
}

function setBit(bits: number[], i: number): void {
  bits[Math.floor(i / BITS)]! |= 1 << (i % BITS);
}

export function hasSeq(w: SeqWindow, seq: number): boolean {
  if (seq > w.hi) return false;
  const i = w.hi - seq;
  return i >= SEQ_WINDOW || bit(w, i);
}

export function addSeq(w: SeqWindow, seq: number): void {
  if (hasSeq(w, seq)) return;
  if (seq > w.hi) {
    const shift = w.hi < 0 ? SEQ_WINDOW : seq - w.hi;
    const next = new Array<number>(WORDS).fill(0);
    for (let i = 0; i + shift < SEQ_WINDOW; i++) if (bit(w, i)) setBit(next, i + shift);
    w.hi = seq;
    w.bits = next;
  }
  setBit(w.bits!, w.hi - seq);
}

/**
 * The window of a stored page view. Its floor is always (highest stored seq − SEQ_WINDOW), the
 * same rule `hasSeq` applies, so the seqs listed are all the window needs.
 */
export function seqWindowOf(stored: StoredSeqs): SeqWindow {
  const w = emptySeqWindow();
  for (const s of stored.seqs) addSeq(w, s);
  return w;
}

/** The guard and update that store `seqs` once: the filter fails if any of them is stored. */
export function seqGuard(seqs: number[]): {
  filter: { seqFloor: { $lt: number }; seqs: { $nin: number[] } };
  push: { seqs: { $each: number[]; $sort: 1; $slice: number } };
  floor: number;
} {
  const min = Math.min(...seqs);
  const max = Math.max(...seqs);
  return {
    filter: { seqFloor: { $lt: min }, seqs: { $nin: seqs } },
    push: { seqs: { $each: seqs, $sort: 1, $slice: -SEQ_WINDOW } },
    floor: max - SEQ_WINDOW,
  };
}
