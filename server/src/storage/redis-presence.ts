import { createHash } from 'node:crypto';
import type { RedisClientType } from 'redis';
import type { PresenceEntry, PresenceState } from '@activity-hub/protocol';
import type { PresenceProgress, PresenceStore } from '../domain/ports.ts';

/**
 * A heartbeat's progress in one round trip: KEYS entry, index; ARGV pageviewId, engagedMs,
 * state, at, ttlMs, expires. Answers {entry JSON, state before}, or nil. cjson keeps 14
 * significant digits, enough for epoch milliseconds.
 */
const PROGRESS = `
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local e = cjson.decode(raw)
if e.pageviewId ~= ARGV[1] then return false end
local before = e.state
e.engagedMs = tonumber(ARGV[2])
e.state = ARGV[3]
local at = tonumber(ARGV[4])
if at > e.updatedAt then e.updatedAt = at end
local out = cjson.encode(e)
redis.call('SET', KEYS[1], out, 'PX', ARGV[5])
redis.call('ZADD', KEYS[2], ARGV[6], e.sessionId)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[5]) * 2)
return {out, before}
`;
const PROGRESS_SHA = createHash('sha1').update(PROGRESS).digest('hex');

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

  async progress(p: PresenceProgress): Promise<{ entry: PresenceEntry; before: PresenceState } | null> {
    const { agencyId, sessionId, pageviewId } = p;
    const opts = {
      keys: [entryKey(agencyId, sessionId), indexKey(agencyId)],
      arguments: [
        pageviewId,
        String(p.engagedMs),
        p.state,
        String(p.at),
        String(this.ttlMs),
        String(Date.now() + this.ttlMs),
      ],
    };
    let reply: unknown;
    try {
      reply = await this.redis.evalSha(PROGRESS_SHA, opts);
    } catch (err) {
      // The script cache is empty after a Redis restart: send the script itself once.
      if (!String((err as Error)?.message).startsWith('NOSCRIPT')) throw err;
      reply = await this.redis.eval(PROGRESS, opts);
    }
    if (!Array.isArray(reply)) return null;
    return { entry: JSON.parse(String(reply[0])) as PresenceEntry, before: String(reply[1]) as PresenceState };
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
