import type { Connection } from 'mongoose';
import type { CreditConflict, StoredPageview, TrackingRepository } from '../domain/ports.ts';
import { seqGuard, type StoredSeqs } from '../domain/seq-window.ts';
import { sessionKey, type ClosedPageview, type EndReason, type WriteOp } from '../domain/tracking-types.ts';
import type { Models, PageviewDoc } from './models.ts';
import { toClosed, toRecord } from './pageview-docs.ts';
import { updateInChunks } from './bulk-chunks.ts';
import { buildWrites } from './tracking-writes.ts';

/** Documents written before seq dedupe have no floor: treat all their seqs as unseen. */
const seenOf = (d: PageviewDoc): StoredSeqs => ({ floor: d.seqFloor ?? -1, seqs: d.seqs ?? [] });

/**
 * Tracking storage on MongoDB. A flush's writes go as `update` commands (bulk-chunks.ts) and
 * reads through the driver's collection API, not hydrated documents: mongoose hydration is far
 * too slow on this path.
 */
export class MongoTrackingRepository implements TrackingRepository {
  constructor(
    private readonly conn: Connection,
    private readonly models: Models,
    /** The last database outage this instance saw (db-availability.ts). */
    private readonly lastOutage: () => { from: number; to: number } | null = () => null,
  ) {}

  private get pageviews() {
    return this.models.pageviews;
  }

  private get sessions() {
    return this.models.sessions;
  }

  async applyBatch(ops: WriteOp[]): Promise<{ conflicts: CreditConflict[] }> {
    const w = buildWrites(ops, new Date());
    // In order (a session's open precedes its end), in chunks like the page view writes: a storm's
    // flush holds up to one upsert per tab.
    const sessionsDone = w.sessions.length ? updateInChunks(this.sessions, w.sessions, { ordered: true }) : null;
    // Awaited last: handled now, so that a failing page view write (database down) does not
    // leave this one's rejection unhandled.
    sessionsDone?.catch(() => {});
    const conflicts: CreditConflict[] = [];
    const opened = await updateInChunks(this.pageviews, w.opens);
    const credited = await updateInChunks(this.pageviews, w.creditWrites);
    if (opened + credited < w.opens.length + w.creditWrites.length)
      conflicts.push(...(await this.findConflicts(w.credits)));
    await updateInChunks(this.pageviews, w.then);
    if (sessionsDone) await sessionsDone;
    return { conflicts };
  }

  /** Credits whose page view already holds some of their seqs (applied elsewhere first). */
  private async findConflicts(credits: CreditConflict[]): Promise<CreditConflict[]> {
    const out: CreditConflict[] = [];
    for (const c of credits) {
      const doc = await this.pageviews.findOne({ _id: c.key }, { projection: { seqFloor: 1, seqs: 1 } });
      if (!doc) continue;
      const { floor, seqs } = seenOf(doc);
      const have = new Set(seqs);
      const missing = c.credits.filter((x) => x.seq > floor && !have.has(x.seq));
      if (missing.length > 0 && missing.length < c.credits.length) out.push({ key: c.key, credits: missing });
    }
    return out;
  }

  async resolveConflict(conflict: CreditConflict): Promise<number> {
    let applied = 0;
    for (const c of conflict.credits) {
      const guard = seqGuard([c.seq]);
      const res = await this.pageviews.updateOne(
        { _id: conflict.key, ...guard.filter },
        {
          $inc: { engagedMs: c.ms },
          $push: guard.push,
          $max: { seqFloor: guard.floor },
          $set: { updatedAt: new Date() },
        },
      );
      applied += res.modifiedCount;
    }
    return applied;
  }

  async loadPageviews(keys: string[]): Promise<Map<string, StoredPageview>> {
    const docs = await this.pageviews.find({ _id: { $in: keys } }).toArray();
    return new Map(docs.map((d) => [d._id, { rec: toRecord(d), seen: seenOf(d) }]));
  }

  async closeStale(aliveBefore: number, limit: number): Promise<ClosedPageview[]> {
    // Nobody could mark a tab alive while the database was out: until a stale period has
    // passed since it came back, the outage does not count towards a page view's silence.
    const outage = this.lastOutage();
    if (outage && outage.to > aliveBefore) aliveBefore -= outage.to - outage.from;
    const stale = await this.pageviews
      .find({ endedAt: null, aliveAt: { $lt: new Date(aliveBefore) } }, { limit, projection: { seqs: 0 } })
      .toArray();
    const closed: ClosedPageview[] = [];
    for (const d of stale) {
      if (await this.close(d, { aliveAt: d.aliveAt }, 'timeout')) closed.push(toClosed(d, d.lastSeenAt));
    }
    return closed;
  }

  async closeIfQuiet(key: string, seenAt: number, reason: 'disconnect'): Promise<ClosedPageview | null> {
    const d = await this.pageviews.findOne({ _id: key, endedAt: null }, { projection: { seqs: 0 } });
    if (!d || d.lastSeenAt.getTime() > seenAt) return null;
    return (await this.close(d, {}, reason)) ? toClosed(d, d.lastSeenAt) : null;
  }

  /** Closes at the last evidence; the `endedAt: null` and `lastSeenAt` guards make it exactly-once. */
  private async close(d: PageviewDoc, guard: Partial<PageviewDoc>, reason: EndReason): Promise<boolean> {
    const now = new Date();
    const res = await this.pageviews.updateOne(
      { _id: d._id, endedAt: null, lastSeenAt: d.lastSeenAt, ...guard },
      { $set: { endedAt: d.lastSeenAt, endReason: reason, updatedAt: now } },
    );
    if (res.modifiedCount !== 1) return false;
    await this.sessions.updateOne(
      { _id: sessionKey(d.agencyId, d.userId, d.sessionId), endedAt: null },
      { $set: { endedAt: d.lastSeenAt }, $max: { lastSeenAt: d.lastSeenAt } },
    );
    return true;
  }

  async ping(): Promise<void> {
    await this.conn.db!.command({ ping: 1 });
  }
}
