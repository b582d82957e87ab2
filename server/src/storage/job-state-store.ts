import type { Collection } from 'mongodb';
import type { JobStateStore } from '../domain/stats-ports.ts';
import type { MetaDoc } from './rollup-models.ts';

const isDuplicateKey = (err: unknown) => (err as { code?: unknown } | null)?.code === 11000;

/**
 * Leases and watermarks in the `meta` collection, one document per job. A lease is taken with
 * one conditional findOneAndUpdate (free, expired or already ours); when another instance holds
 * it the upsert collides on `_id` and we simply do not get it.
 */
export class MongoJobStateStore implements JobStateStore {
  constructor(
    private readonly meta: Collection<MetaDoc>,
    private readonly clock: () => number = Date.now,
  ) {}

  async tryLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    try {
      const doc = await this.meta.findOneAndUpdate(
        { _id: name, $or: [{ owner }, { owner: null }, { leaseUntil: { $lte: new Date(now) } }] },
        { $set: { owner, leaseUntil: new Date(now + ttlMs) } },
        { upsert: true, returnDocument: 'after' },
      );
      return doc?.owner === owner;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async releaseLease(name: string, owner: string): Promise<void> {
    await this.meta.updateOne({ _id: name, owner }, { $set: { owner: null, leaseUntil: new Date(0) } });
  }

  async watermark(name: string): Promise<number | null> {
    const doc = await this.meta.findOne({ _id: name }, { projection: { watermark: 1 } });
    return doc?.watermark ? doc.watermark.getTime() : null;
  }

  async advanceWatermark(name: string, to: number): Promise<void> {
    try {
      await this.meta.updateOne({ _id: name }, { $max: { watermark: new Date(to) } }, { upsert: true });
    } catch (err) {
      // Two instances creating the document at once: the other one won; apply ours on top.
      if (!isDuplicateKey(err)) throw err;
      await this.meta.updateOne({ _id: name }, { $max: { watermark: new Date(to) } });
    }
  }
}
