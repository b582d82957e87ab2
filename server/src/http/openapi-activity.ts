import { z } from 'zod';
import {
  erasureParamsSchema,
  erasureSchema,
  heatmapQuerySchema,
  heatmapSchema,
  sessionDetailSchema,
  sessionItemSchema,
  sessionsPageSchema,
  sessionsQuerySchema,
} from '@activity-hub/protocol';
import { history, type Json } from './openapi-parts.ts';
import { errorReplies, jsonReply } from './openapi-schemas.ts';

/** JSON Schema of what the hub answers, generated from the protocol's reply schemas. */
const outputSchema = (schema: z.ZodType): Json => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Json;
  return rest;
};

/** Reply schemas of the activity log, for `components.schemas`. */
export const ACTIVITY_SCHEMAS: Record<string, Json> = {
  SessionItem: outputSchema(sessionItemSchema),
  SessionsPage: outputSchema(sessionsPageSchema),
  SessionDetail: outputSchema(sessionDetailSchema),
  Heatmap: outputSchema(heatmapSchema),
  Erasure: outputSchema(erasureSchema),
};

const pathParam = (name: string, schema: z.ZodObject, description: string): Json => ({
  name,
  in: 'path',
  required: true,
  schema: outputSchema(schema.shape[name] as z.ZodType),
  description,
});

/** The activity log's routes (issue 13), merged into `paths`. */
export function activityPaths(v1: string): Record<string, Json> {
  return {
    [`${v1}/sessions`]: history(
      'Sessions (tab visits), newest first',
      'Sessions that started in [from, to). With `path`, only sessions that include a page view of that path; such a page may hold fewer than `limit` items while `nextCursor` is not null: follow it until it is. The cursor only positions; the scope always comes from the token.',
      sessionsQuerySchema,
      jsonReply('A page of sessions', 'SessionsPage'),
    ),
    [`${v1}/sessions/{id}`]: {
      get: {
        tags: ['history'],
        summary: 'One session and its page views, oldest first',
        parameters: [pathParam('id', z.object({ id: sessionItemSchema.shape.id }), '`id` of a session item')],
        responses: {
          200: jsonReply('The session', 'SessionDetail'),
          ...errorReplies([401]),
          404: jsonReply(
            'No such session in the caller’s scope (`not_found`): missing and foreign look alike',
            'Error',
          ),
        },
      },
    },
    [`${v1}/heatmap`]: history(
      'Weekday × hour heatmap',
      '168 cells of page views and engaged time by local weekday and hour in `tz`, starting at `weekStart`; a page view counts in the hour of its start. Computed from the rollups; the sums equal `/summary`’s totals for the same filters and range. At most 800 days.',
      heatmapQuerySchema,
      jsonReply('The heatmap', 'Heatmap'),
    ),
    [`${v1}/users/{userId}/activity`]: {
      delete: {
        tags: ['history'],
        summary: 'Erase one user’s activity (privacy requests)',
        description:
          'Agency users only, for users of their own agency. Deletes the user’s page views and sessions, removes them from the rollups (every history answer drops them at once) and from live presence, and logs an audit line. Idempotent.',
        parameters: [pathParam('userId', erasureParamsSchema, 'The user whose activity is erased')],
        responses: { 200: jsonReply('What was deleted', 'Erasure'), ...errorReplies([400, 401, 403]) },
      },
    },
  };
}
