import type { CreditConflict } from '../domain/ports.ts';
import { seqGuard } from '../domain/seq-window.ts';
import type { WriteOp } from '../domain/tracking-types.ts';
import { fromRecord } from './pageview-docs.ts';
import type { UpdateStatement } from './bulk-chunks.ts';
import type { PageviewDoc, SessionDoc } from './models.ts';

export type Update = UpdateStatement<PageviewDoc>;
type SessionUpdate = UpdateStatement<SessionDoc>;

/** The update statements of one flush (run as `update` commands: bulk-chunks.ts). */
export interface BatchWrites {
  /**
   * Three phases, each after the one before, each of independent statements (one per page view
   * at most): opens; then one credit update per page view (every open and credit must match or
   * upsert); then ends and keep-alive marks (a miss is normal: already closed elsewhere).
   */
  opens: Update[];
  creditWrites: Update[];
  then: Update[];
  sessions: SessionUpdate[];
  /** The merged credits, to find conflicts when a credit matched less than it should. */
  credits: CreditConflict[];
}

/**
 * Turns a flush's ops into as few writes as possible: all credits of a page view in the batch
 * become one update, whose seq guard (see seq-window.ts) keeps an event from being credited
 * twice, by this or any other instance, in the same write that credits it.
 */
export function buildWrites(ops: WriteOp[], now: Date): BatchWrites {
  const opens: Update[] = [];
  const then: Update[] = [];
  const sessions: SessionUpdate[] = [];
  // A heartbeat writes its page view only: a session's lastSeenAt moves when a page view opens
  // or the session ends, and readers take the later of it and its page views' (session-queries.ts).
  const merged = new Map<string, { c: CreditConflict; lastSeenAt: number }>();
  for (const op of ops) {
    switch (op.kind) {
      case 'open': {
        opens.push({
          q: { _id: op.pageview.key },
          u: {
            $setOnInsert: {
              ...fromRecord(op.pageview),
              seqFloor: -1,
              seqs: [],
              // Sign of life is when the hub heard from the tab, not when the event happened:
              // a backlog replayed after an outage is alive, however old its events are.
              aliveAt: now,
              updatedAt: now,
            },
          },
          upsert: true,
        });
        const { key: sKey, startedAt: sStarted, lastSeenAt: sSeen, endedAt: _e, ...srest } = op.session;
        sessions.push({
          q: { _id: sKey },
          u: {
            $setOnInsert: { ...srest, startedAt: new Date(sStarted) },
            $max: { lastSeenAt: new Date(sSeen) },
            $set: { endedAt: null },
          },
          upsert: true,
        });
        break;
      }
      case 'credit': {
        const m = merged.get(op.key) ?? { c: { key: op.key, credits: [] }, lastSeenAt: 0 };
        m.c.credits.push(...op.credits);
        m.lastSeenAt = Math.max(m.lastSeenAt, op.lastSeenAt);
        merged.set(op.key, m);
        break;
      }
      case 'end':
        then.push({
          q: { _id: op.key, endedAt: null },
          u: {
            $set: { endedAt: new Date(op.at), endReason: op.reason, updatedAt: now },
            $max: { lastSeenAt: new Date(op.at) },
          },
        });
        break;
      case 'endSession':
        sessions.push({
          q: { _id: op.key, endedAt: null },
          u: { $set: { endedAt: new Date(op.at) }, $max: { lastSeenAt: new Date(op.at) } },
        });
        break;
      case 'alive':
        for (const key of op.keys)
          then.push({ q: { _id: key, endedAt: null }, u: { $max: { aliveAt: new Date(op.at) } } });
        break;
    }
  }
  const credits: Update[] = [];
  for (const { c, lastSeenAt } of merged.values()) {
    const guard = seqGuard(c.credits.map((x) => x.seq));
    const ms = c.credits.reduce((a, x) => a + x.ms, 0);
    const seen = new Date(lastSeenAt);
    credits.push({
      q: { _id: c.key, ...guard.filter },
      u: {
        $inc: { engagedMs: ms },
        $push: guard.push,
        $max: { lastSeenAt: seen, aliveAt: now, seqFloor: guard.floor },
        $set: { updatedAt: now },
      },
    });
  }
  return { opens, creditWrites: credits, then, sessions, credits: [...merged.values()].map((m) => m.c) };
}
