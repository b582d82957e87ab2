import { z } from 'zod';
import { NAMESPACES } from '@activity-hub/protocol';
import { errorReplies, ref } from './openapi-schemas.ts';

/**
 * Building blocks of the OpenAPI document: request schemas and query parameters generated from
 * the protocol's zod schemas (what clients send, `io: 'input'`), and the socket namespaces.
 */
export type Json = Record<string, unknown>;

/** JSON Schema of what a client sends (`io: 'input'`: defaults make fields optional). */
export const inputSchema = (schema: z.ZodType): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  return rest;
};

const PARAM_TEXT: Record<string, string> = {
  from: 'Start of the range (inclusive): ISO 8601 date or date-time, or epoch ms',
  to: 'End of the range (exclusive)',
  userId: 'Only this user (a location user may only name themselves)',
  locationId: 'Only this location',
  path: 'Only this page path',
  limit: 'Page size',
  cursor: '`nextCursor` of the previous page',
  granularity: 'Calendar bucket size',
  tz: 'IANA time zone the calendar is read in',
  weekStart: 'First day of a week',
};

/** Query parameters generated from a protocol zod object schema. */
export function queryParams(schema: z.ZodObject): Json[] {
  const js = inputSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
    ...(PARAM_TEXT[name] ? { description: PARAM_TEXT[name] } : {}),
  }));
}

export const PUBLIC = { security: [] };
export const body = (schema: z.ZodType, type = 'application/json') => ({
  required: true,
  content: { [type]: { schema: inputSchema(schema) } },
});
export const history = (summary: string, description: string, schema: z.ZodObject, reply: Json) => ({
  get: {
    tags: ['history'],
    summary,
    description,
    parameters: queryParams(schema),
    responses: { 200: reply, ...errorReplies([400, 401, 403]) },
  },
});
export const itemsOf = (name: string) => ({
  type: 'object',
  properties: { items: { type: 'array', items: ref(name) } },
  required: ['items'],
});

/** Socket.io namespaces, described in the `x-socket-io` extension (OpenAPI has no socket model). */
export const SOCKETS = {
  description:
    'Socket.io (path /socket.io). Authenticate in the handshake: `io(url + namespace, { auth: { token } })`; renew with the `auth` event before the token expires.',
  namespaces: {
    [NAMESPACES.track]: {
      description: 'The tracker: page views, heartbeats and leaves of one tab.',
      clientToServer: {
        event: { payload: ref('TrackEvent'), ack: '{ok:true} | {ok:false, error}' },
        auth: { payload: { type: 'string', description: 'a renewed hub token' }, ack: '{ok:true, data:{expiresAt}}' },
      },
      serverToClient: {
        settings: 'TrackerSettings: heartbeatIntervalMs, idleTimeoutMs, tokenExpiresAt',
        bye: 'Goodbye: code, message, reconnect',
      },
    },
    [NAMESPACES.live]: {
      description: 'The dashboard: live presence and feed of the caller’s scope (agency, or the user’s own activity).',
      clientToServer: { auth: { payload: { type: 'string' } }, sync: { ack: '{ok:true, data: PresenceSnapshot}' } },
      serverToClient: {
        snapshot: ref('PresenceSnapshot'),
        upsert: ref('PresenceEntry'),
        remove: 'PresenceRemoval: sessionId, userId, at',
        feed: 'FeedItem',
        bye: 'Goodbye',
      },
    },
  },
};
