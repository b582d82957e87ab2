import type { RedisClientType } from 'redis';
import type { PresenceEntry } from '@activity-hub/protocol';
import type { PresenceStore } from '../domain/ports.ts';

const entryKey = (agencyId: string, sessionId: string) => `ah:presence:{${agencyId}}:${sessionId}`;
const indexKey = (agencyId: string) => `ah:presence-idx:{${agencyId}}`;

/**
 * Presence in Redis, so a dashboard on any instance sees trackers on every instance. Each tab
 * is a key with a TTL (it expires by itself when its instance dies) plus a member of a per-agency
 * sorted set scored by expiry, which lists an agency without scanning the keyspace.
 */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: RedisClientType,
    private readonly ttlMs: number,
  ) {}

  async upsert(entry: PresenceEntry): Promise<void> {
    const expires = Date.now() + this.ttlMs;
    await this.redis
      .multi()
      .set(entryKey(entry.agencyId, entry.sessionId), JSON.stringify(entry), { PX: this.ttlMs })
      .zAdd(indexKey(entry.agencyId), { score: expires, value: entry.sessionId })
      .pExpire(indexKey(entry.agencyId), this.ttlMs * 2)
      .exec();
  }

  async get(agencyId: string, sessionId: string): Promise<PresenceEntry | null> {
    const raw = await this.redis.get(entryKey(agencyId, sessionId));
    return raw ? (JSON.parse(raw) as PresenceEntry) : null;
  }

  async remove(agencyId: string, sessionId: string): Promise<boolean> {
    // DEL answers 1 to exactly one caller, so only one instance announces the tab offline.
    const removed = await this.redis.del(entryKey(agencyId, sessionId));
    await this.redis.zRem(indexKey(agencyId), sessionId);
    return removed === 1;
  }

  async list(agencyId: string, userId?: string): Promise<PresenceEntry[]> {
    const now = Date.now();
    await this.redis.zRemRangeByScore(indexKey(agencyId), '-inf', now);
    const ids = await this.redis.zRange(indexKey(agencyId), 0, -1);
    if (ids.length === 0) return [];
    const raws = await this.redis.mGet(ids.map((id) => entryKey(agencyId, id)));
    const out: PresenceEntry[] = [];
    for (const raw of raws) {
      if (!raw) continue;
      const e = JSON.parse(raw) as PresenceEntry;
      if (!userId || e.userId === userId) out.push(e);
    }
    return out;
  }

  async refresh(entries: { agencyId: string; sessionId: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const expires = Date.now() + this.ttlMs;
    const m = this.redis.multi();
    for (const { agencyId, sessionId } of entries) {
      m.pExpire(entryKey(agencyId, sessionId), this.ttlMs);
      m.zAdd(indexKey(agencyId), { score: expires, value: sessionId }, { XX: true });
      m.pExpire(indexKey(agencyId), this.ttlMs * 2);
    }
    await m.exec();
  }

  async close(): Promise<void> {}
}
