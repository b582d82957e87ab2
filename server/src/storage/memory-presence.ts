import type { PresenceEntry, PresenceState } from '@activity-hub/protocol';
import type { Clock, PresenceProgress, PresenceStore } from '../domain/ports.ts';

/**
 * Presence for a single process (no `REDIS_URL`). Same contract as the Redis store: entries
 * expire on their own when nothing refreshes them.
 */
export class MemoryPresenceStore implements PresenceStore {
  private readonly agencies = new Map<string, Map<string, { entry: PresenceEntry; expiresAt: number }>>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: Clock = Date.now,
  ) {}

  private bucket(agencyId: string) {
    let b = this.agencies.get(agencyId);
    if (!b) this.agencies.set(agencyId, (b = new Map()));
    return b;
  }

  async upsert(entry: PresenceEntry): Promise<void> {
    this.bucket(entry.agencyId).set(entry.sessionId, { entry, expiresAt: this.clock() + this.ttlMs });
  }

  async get(agencyId: string, sessionId: string): Promise<PresenceEntry | null> {
    const hit = this.agencies.get(agencyId)?.get(sessionId);
    return hit && hit.expiresAt > this.clock() ? hit.entry : null;
  }

  async progress(p: PresenceProgress): Promise<{ entry: PresenceEntry; before: PresenceState } | null> {
    const { agencyId, sessionId, pageviewId } = p;
    const hit = this.agencies.get(agencyId)?.get(sessionId);
    const now = this.clock();
    if (!hit || hit.expiresAt <= now || hit.entry.pageviewId !== pageviewId) return null;
    // In place, not a copy per heartbeat: whoever holds the entry (a publisher gathering
    // progress) sends it as it is when sent, which is its newest state.
    const { entry } = hit;
    const before = entry.state;
    entry.engagedMs = p.engagedMs;
    entry.state = p.state;
    entry.updatedAt = Math.max(entry.updatedAt, p.at);
    hit.expiresAt = now + this.ttlMs;
    return { entry, before };
  }

  async remove(agencyId: string, sessionId: string): Promise<boolean> {
    const b = this.agencies.get(agencyId);
    const hit = b?.get(sessionId);
    if (!b || !hit) return false;
    b.delete(sessionId);
    return hit.expiresAt > this.clock();
  }

  async list(agencyId: string, userId?: string): Promise<PresenceEntry[]> {
    const b = this.agencies.get(agencyId);
    if (!b) return [];
    const now = this.clock();
    const out: PresenceEntry[] = [];
    for (const [sessionId, { entry, expiresAt }] of b) {
      if (expiresAt <= now) b.delete(sessionId);
      else if (!userId || entry.userId === userId) out.push(entry);
    }
    return out;
  }

  async refresh(entries: { agencyId: string; sessionId: string }[]): Promise<void> {
    const until = this.clock() + this.ttlMs;
    for (const { agencyId, sessionId } of entries) {
      const hit = this.agencies.get(agencyId)?.get(sessionId);
      if (hit) hit.expiresAt = until;
    }
  }

  async close(): Promise<void> {
    this.agencies.clear();
  }
}
