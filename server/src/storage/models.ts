import type { Collection, Document } from 'mongodb';
import { Schema, type Connection, type Model, type SchemaDefinitionProperty } from 'mongoose';
import { z } from 'zod';
import { pageviewSchema as protocolPageview, type PageviewWithTimes } from '@activity-hub/protocol';

/**
 * Stored page view: the protocol's page view (`pageviewSchema`) with Dates for instants, plus
 * the storage-only fields. `_id` is `pageviewKey(agencyId, id)` (escaped parts), so ids are
 * unique per tenant.
 */
export type PageviewDoc = PageviewWithTimes<Date> & {
  _id: string;
  /** Last sign of life from the tab's connection; the sweeper reads it. */
  aliveAt: Date;
  /** Dedupe (see domain/seq-window.ts): seqs ≤ seqFloor count as credited... */
  seqFloor: number;
  /** ...and these, the last SEQ_WINDOW credited seqs above it (a bounded, sorted list). */
  seqs: number[];
  /** Bumped on every write, for incremental rollups. */
  updatedAt: Date;
};

export interface SessionDoc {
  _id: string;
  id: string;
  userId: string;
  userName: string;
  agencyId: string;
  locationId: string | null;
  userAgent: string;
  device: string;
  startedAt: Date;
  lastSeenAt: Date;
  endedAt: Date | null;
}

/**
 * The mongoose field of a protocol field. The models only create the collections' indexes
 * (writes and reads go through the driver), so types and nullability are all they need.
 */
function fieldOf(s: z.ZodType): SchemaDefinitionProperty {
  const nullable = s instanceof z.ZodNullable;
  const inner: unknown = nullable ? s.unwrap() : s;
  const type = inner instanceof z.ZodISODateTime ? Date : inner instanceof z.ZodNumber ? Number : String;
  return nullable ? { type, default: null } : { type, required: true };
}

const pageviewSchema = new Schema<PageviewDoc>(
  {
    _id: String,
    ...Object.fromEntries(Object.entries(protocolPageview.shape).map(([k, s]) => [k, fieldOf(s)])),
    aliveAt: { type: Date, required: true },
    seqFloor: { type: Number, default: -1 },
    seqs: { type: [Number], default: [] },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'pageviews' },
);
// History queries: scope (agency, and optionally location or user) plus a time range.
pageviewSchema.index({ agencyId: 1, startedAt: -1, _id: -1 });
pageviewSchema.index({ agencyId: 1, locationId: 1, startedAt: -1 });
pageviewSchema.index({ agencyId: 1, userId: 1, startedAt: -1 });
// The sweeper: open page views by last sign of life.
pageviewSchema.index({ endedAt: 1, aliveAt: 1 });
// A History read's rollup catch-up: its agency's open page views. Written only when a page view
// opens or closes, never by a heartbeat.
pageviewSchema.index({ agencyId: 1, endedAt: 1 });
// Incremental rollups.
pageviewSchema.index({ updatedAt: 1 });

const sessionSchema = new Schema<SessionDoc>(
  {
    _id: String,
    id: { type: String, required: true },
    userId: { type: String, required: true },
    userName: { type: String, default: '' },
    agencyId: { type: String, required: true },
    locationId: { type: String, default: null },
    userAgent: { type: String, default: '' },
    device: { type: String, default: 'unknown' },
    startedAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
    endedAt: { type: Date, default: null },
  },
  { versionKey: false, collection: 'sessions' },
);
sessionSchema.index({ agencyId: 1, startedAt: -1 });
sessionSchema.index({ agencyId: 1, userId: 1, startedAt: -1 });

export interface Models {
  Pageview: Model<PageviewDoc>;
  Session: Model<SessionDoc>;
  /** The driver's collections, typed: batched writes and hot reads skip mongoose hydration. */
  pageviews: Collection<PageviewDoc>;
  sessions: Collection<SessionDoc>;
}

/**
 * The driver's collection behind a model, typed by its document. mongoose types
 * `Model.collection` as a collection of any document, so the typed handle comes from the
 * connection's database, by the model's collection name: the same driver collection.
 */
export function collectionOf<T extends Document>(conn: Connection, model: Model<T>): Collection<T> {
  if (!conn.db) throw new Error('database connection is not open');
  return conn.db.collection<T>(model.collection.collectionName);
}

/** Registers the tracking models on an open connection, with their indexes created (idempotent). */
export async function openTrackingModels(conn: Connection): Promise<Models> {
  const Pageview = conn.model<PageviewDoc>('Pageview', pageviewSchema);
  const Session = conn.model<SessionDoc>('Session', sessionSchema);
  await Promise.all([Pageview.createIndexes(), Session.createIndexes()]);
  return { Pageview, Session, pageviews: collectionOf(conn, Pageview), sessions: collectionOf(conn, Session) };
}
