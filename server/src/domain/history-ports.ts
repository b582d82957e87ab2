import type { Directory, PageviewItem } from '@activity-hub/protocol';

/** A scoped query: `agencyId` always comes from the caller's claims via access.ts. */
export interface HistoryFilter {
  agencyId: string;
  userId?: string;
  locationId?: string;
  path?: string;
  from?: Date;
  to?: Date;
}

/** Position after the last item of a page: newest first, ties broken by key. */
export interface PageCursor {
  startedAt: number;
  key: string;
}

/** Read side of stored activity; implemented in storage/. */
export interface HistoryRepository {
  listPageviews(
    filter: HistoryFilter,
    limit: number,
    after: PageCursor | null,
  ): Promise<{ items: PageviewItem[]; next: PageCursor | null }>;
  directory(filter: HistoryFilter): Promise<Directory>;
}

/** Cursors are opaque to clients: base64url JSON. */
export function encodeCursor(c: PageCursor): string {
  return Buffer.from(JSON.stringify([c.startedAt, c.key])).toString('base64url');
}

/** Decodes a cursor; null when it is not one of ours. */
export function decodeCursor(s: string): PageCursor | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    // A time outside Date's range would become an Invalid Date and match garbage, not fail.
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      Number.isSafeInteger(v[0]) &&
      Math.abs(v[0] as number) <= 8.64e15 &&
      typeof v[1] === 'string'
    ) {
      return { startedAt: v[0] as number, key: v[1] };
    }
  } catch {
    /* fall through */
  }
  return null;
}
