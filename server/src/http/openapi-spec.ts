import { componentName, componentSchemas } from './openapi-components.ts';
import { body, jsonSchema, pathParams, queryParams, ref, SOCKETS, type Json } from './openapi-parts.ts';
import { errorReplySchema } from '@activity-hub/protocol';
import type { Access, Route, ReplySpec } from './route-def.ts';
import { allRoutes } from './route-table.ts';

export type { Json };

const ERROR_TEXT: Record<number, string> = {
  400: 'Invalid input (`validation_failed`, with `issues`) or a token in the URL',
  401: 'Missing, invalid or expired token',
  403: 'Outside the caller’s scope (`forbidden`)',
  404: 'Not found or not enabled',
  413: 'Body too large',
  415: 'Unsupported body type',
  429: 'Rate limited',
  503: 'A dependency is down',
};

const SECURITY: Record<Access, Json> = {
  public: { security: [] },
  any: { security: [{ bearer: ['track', 'read'] }] },
  upstream: { security: [{ upstreamJwt: [] }] },
  // Inherits the document's `bearer: [read]`.
  read: {},
};

/** A response object: JSON by its component (or inline) schema, a typed body, or a bare description. */
function response(reply: ReplySpec): Json {
  if ('schema' in reply) {
    const name = componentName(reply.schema);
    const schema = name ? ref(name) : jsonSchema(reply.schema, 'output');
    return { description: reply.description, content: { 'application/json': { schema } } };
  }
  if (!reply.type) return { description: reply.description };
  return { description: reply.description, content: { [reply.type]: { schema: { type: 'string' } } } };
}

/** The operation object of one declared route. */
function operation<D>(r: Route<D>): Json {
  const parameters = [...(r.params ? pathParams(r.params) : []), ...(r.query ? queryParams(r.query) : [])];
  const errors = r.errors.map((e): [number, string] => (Array.isArray(e) ? e : [e, ERROR_TEXT[e] ?? 'Error']));
  return {
    tags: [r.tag],
    summary: r.summary,
    ...(r.description ? { description: r.description } : {}),
    ...SECURITY[r.access],
    ...(parameters.length ? { parameters } : {}),
    ...(r.body ? { requestBody: body(r.body.schema, r.body.type) } : {}),
    responses: {
      200: response(r.reply),
      ...Object.fromEntries(
        errors.map(([s, text]) => [String(s), response({ description: text, schema: errorReplySchema })]),
      ),
      ...Object.fromEntries(Object.entries(r.replies).map(([s, reply]) => [s, response(reply)])),
    },
  };
}

/** `paths`, generated from the route table. */
function buildPaths(): Record<string, Json> {
  const paths: Record<string, Json> = {};
  for (const { path, route } of allRoutes()) paths[path] = { ...paths[path], [route.method]: operation(route) };
  return paths;
}

/** The OpenAPI 3.1 document of every route of the hub. Built once; it only depends on code. */
export function buildOpenApi(version = '0.1.0'): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Activity Hub API',
      version,
      description:
        'Realtime activity tracking for multi-tenant SaaS. Every `/api/v1` route needs `Authorization: Bearer <hub token>` unless marked public; tokens in the URL are refused. Hub tokens carry a scope, decided by the `Origin` of the sign-in request: `read` (a dashboard’s) opens every route, `track` (a tracker’s) only `/collect`, `/auth/refresh` and the `/track` socket, and answers 403 `token_scope` elsewhere. Agency users see their whole agency, location users only their own activity; filters narrow that scope, never widen it. Errors are `{error:{code,message}}`. Live updates use Socket.io: see `x-socket-io`.',
    },
    servers: [{ url: '/' }],
    security: [{ bearer: ['read'] }],
    tags: [{ name: 'auth' }, { name: 'tracking' }, { name: 'history' }, { name: 'live' }, { name: 'operations' }],
    paths: buildPaths(),
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A hub token from one of the /auth routes. Its scope (`track` or `read`, listed in each security requirement) is decided by the Origin of the sign-in request.',
        },
        upstreamJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'The platform’s own identity token',
        },
      },
      schemas: componentSchemas(),
    },
    'x-socket-io': SOCKETS,
  };
}
