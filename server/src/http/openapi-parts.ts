import { z } from 'zod';
import { NAMESPACES, TIMING } from '@activity-hub/protocol';

/**
 * Building blocks of the OpenAPI document: JSON Schemas generated from the protocol's zod
 * schemas (requests as clients send them, `io: 'input'`; replies as the hub answers them), query
 * and path parameters, and the socket namespaces.
 */
export type Json = Record<string, unknown>;

export const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

/** JSON Schema of a zod schema: `input` for what a client sends (defaults make fields optional). */
export const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input'): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Json;
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

const PATH_TEXT: Record<string, string> = {
  id: '`id` of a session item',
  userId: 'The user whose activity is erased',
};

/** Query parameters generated from a protocol zod object schema. */
export function queryParams(schema: z.ZodObject): Json[] {
  const js = jsonSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: js.required?.includes(name) ?? false,
    schema: s,
    ...(PARAM_TEXT[name] ? { description: PARAM_TEXT[name] } : {}),
  }));
}

/** Path parameters generated from a protocol zod object schema. */
export const pathParams = (schema: z.ZodObject): Json[] =>
  Object.entries(schema.shape).map(([name, s]) => ({
    name,
    in: 'path',
    required: true,
    schema: jsonSchema(s as z.ZodType, 'output'),
    ...(PATH_TEXT[name] ? { description: PATH_TEXT[name] } : {}),
  }));

/** A request body of `type`. */
export const body = (schema: z.ZodType, type = 'application/json') => ({
  required: true,
  content: { [type]: { schema: jsonSchema(schema) } },
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
        upserts: {
          type: 'array',
          items: ref('PresenceEntry'),
          description: `Heartbeat progress of tabs already shown, gathered for up to ${TIMING.liveProgressGatherMs} ms; each entry applies like \`upsert\``,
        },
        remove: 'PresenceRemoval: sessionId, userId, at',
        feed: 'FeedItem',
        bye: 'Goodbye',
      },
    },
  },
};
