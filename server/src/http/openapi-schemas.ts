import {
  DEVICE_CLASSES,
  END_REASONS,
  ERROR_CODES,
  GRANULARITIES,
  PRESENCE_STATES,
  ROLES,
} from '@activity-hub/protocol';

/**
 * JSON Schemas of the hub's replies for the OpenAPI document. Request schemas are generated
 * from the protocol's zod schemas; replies are TypeScript interfaces in the protocol package,
 * so they are written out here, next to nothing else, and checked by the OpenAPI test.
 */
type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer', minimum: 0 };
const nullable = (s: Schema): Schema => ({ anyOf: [s, { type: 'null' }] });
const dateTime: Schema = { type: 'string', format: 'date-time' };
const epochMs: Schema = { type: 'integer', description: 'epoch milliseconds' };
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const obj = (properties: Record<string, Schema>, optional: string[] = []): Schema => ({
  type: 'object',
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
});

const totals = { pageviews: int, engagedMs: int, users: { ...int, description: 'distinct users' } };

/** `components.schemas`. */
export const COMPONENT_SCHEMAS: Record<string, Schema> = {
  Error: obj({
    error: obj(
      {
        code: { type: 'string', enum: [...ERROR_CODES] },
        message: str,
        issues: { type: 'array', items: obj({ path: str, message: str }) },
      },
      ['issues'],
    ),
  }),
  HubUser: obj({
    userId: str,
    name: str,
    email: str,
    role: { type: 'string', enum: [...ROLES] },
    agencyId: str,
    locationId: nullable(str),
  }),
  AuthReply: obj({
    token: { ...str, description: 'hub token (JWT), sent as Authorization: Bearer' },
    user: ref('HubUser'),
    expiresAt: epochMs,
  }),
  AuthConfig: obj({
    devLogin: { type: 'boolean' },
    highlevelSso: { type: 'boolean' },
    upstreamJwt: { type: 'boolean' },
    demoUsers: { type: 'array', items: ref('HubUser') },
  }),
  CollectResult: obj({
    results: { type: 'array', items: obj({ id: nullable(str), ok: { type: 'boolean' }, code: str }, ['code']) },
  }),
  PageviewItem: obj({
    id: str,
    sessionId: str,
    userId: str,
    agencyId: str,
    locationId: nullable(str),
    url: str,
    path: str,
    title: str,
    referrer: str,
    startedAt: dateTime,
    lastSeenAt: dateTime,
    endedAt: nullable(dateTime),
    engagedMs: int,
    endReason: nullable({ type: 'string', enum: [...END_REASONS] }),
  }),
  PageviewPage: obj({
    items: { type: 'array', items: ref('PageviewItem') },
    nextCursor: nullable({ ...str, description: 'pass as `cursor` for the next page' }),
  }),
  Totals: obj(totals),
  Bucket: obj({ start: dateTime, end: dateTime, ...totals }),
  Summary: obj({
    from: { ...dateTime, description: 'start of the first calendar bucket' },
    to: { ...dateTime, description: 'end of the last calendar bucket' },
    granularity: { type: 'string', enum: [...GRANULARITIES] },
    tz: str,
    buckets: { type: 'array', items: ref('Bucket') },
    totals: ref('Totals'),
    previous: {
      ...obj({ ...totals, from: dateTime, to: dateTime }),
      description: 'the same number of buckets just before',
    },
  }),
  TopPage: obj({ path: str, ...totals, avgEngagedMs: int }),
  UserStats: obj({
    userId: str,
    name: str,
    pageviews: int,
    engagedMs: int,
    lastSeen: dateTime,
    topLocationId: nullable(str),
  }),
  Directory: obj({
    locations: { type: 'array', items: obj({ locationId: str, users: int }) },
    users: { type: 'array', items: obj({ userId: str, name: str, locationId: nullable(str) }) },
  }),
  PresenceEntry: obj({
    sessionId: str,
    userId: str,
    name: str,
    agencyId: str,
    locationId: nullable(str),
    pageviewId: str,
    path: str,
    title: str,
    onlineSince: epochMs,
    pageSince: epochMs,
    engagedMs: int,
    state: { type: 'string', enum: [...PRESENCE_STATES] },
    device: { type: 'string', enum: [...DEVICE_CLASSES] },
    updatedAt: epochMs,
  }),
  PresenceSnapshot: obj({ entries: { type: 'array', items: ref('PresenceEntry') }, serverTime: epochMs }),
  Health: obj({ status: str }),
  Readiness: obj({
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    checks: { type: 'object', additionalProperties: { type: 'string', enum: ['up', 'down'] } },
  }),
};

/** A JSON reply referencing a component schema. */
export const jsonReply = (description: string, schema: Schema | string) => ({
  description,
  content: { 'application/json': { schema: typeof schema === 'string' ? ref(schema) : schema } },
});

/** The `{error}` reply for the listed statuses. */
export function errorReplies(statuses: number[]): Record<string, unknown> {
  const text: Record<number, string> = {
    400: 'Invalid input (`validation_failed`, with `issues`) or a token in the URL',
    401: 'Missing, invalid or expired token',
    403: 'Outside the caller’s scope (`forbidden`)',
    404: 'Not found or not enabled',
    413: 'Body too large',
    415: 'Unsupported body type',
    429: 'Rate limited',
    503: 'A dependency is down',
  };
  return Object.fromEntries(statuses.map((s) => [String(s), jsonReply(text[s] ?? 'Error', 'Error')]));
}

export { ref };
