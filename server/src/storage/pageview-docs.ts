import {
  PAGEVIEW_KEYS,
  PAGEVIEW_TIME_KEYS,
  pageviewSchema,
  type Pageview,
  type PageviewItem,
  type PageviewTimeKey,
  type PageviewWithTimes,
} from '@activity-hub/protocol';
import type { ClosedPageview, PageviewRecord } from '../domain/tracking-types.ts';
import type { PageviewDoc } from './models.ts';

/**
 * The one mapper from stored page view documents to the domain record (epoch ms), the API item
 * and the export row (ISO strings). It walks the protocol's `pageviewSchema`, so a new page
 * view field passes through without an edit here.
 */

const isTime = (k: string): k is PageviewTimeKey => (PAGEVIEW_TIME_KEYS as readonly string[]).includes(k);
const nullable = new Set(PAGEVIEW_KEYS.filter((k) => pageviewSchema.shape[k].safeParse(null).success));

/** The page view fields of `src` with each instant mapped by `time`; a missing nullable field is null. */
function mapFields<A, T>(src: PageviewWithTimes<A>, time: (t: A) => T): PageviewWithTimes<T> {
  const out: Record<string, unknown> = {};
  for (const k of PAGEVIEW_KEYS) {
    const v = src[k];
    if (v === undefined || v === null) out[k] = nullable.has(k) ? null : v;
    else out[k] = isTime(k) ? time(v as A) : v;
  }
  // Built from the schema's own keys, each converted as its type says.
  return out as PageviewWithTimes<T>;
}

/** The page view fields of a new document, from the domain's record (the tracking writes). */
export const fromRecord = (rec: PageviewRecord): PageviewWithTimes<Date> => mapFields(rec, (ms) => new Date(ms));

/** A stored page view as the domain sees it (the tracking repository). */
export const toRecord = (d: PageviewDoc): PageviewRecord => ({ key: d._id, ...mapFields(d, (t) => t.getTime()) });

/** A stored page view with ISO instants, the user's name included (the CSV export). */
export const toPageview = (d: PageviewDoc): Pageview => mapFields(d, (t) => t.toISOString());

/** A stored page view as the API shows it (`/pageviews`, session detail). */
export function toItem(d: PageviewDoc): PageviewItem {
  const { userName: _name, ...item } = toPageview(d);
  return item;
}

/** A page view the sweeper or a delayed disconnect closed at `endedAt`. */
export function toClosed(d: PageviewDoc, endedAt: Date): ClosedPageview {
  const { key, id, sessionId, agencyId, userId, userName, locationId, path, title } = toRecord(d);
  return { key, id, sessionId, agencyId, userId, userName, locationId, path, title, endedAt: endedAt.getTime() };
}
