import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { AppError } from '../domain/app-error.ts';
import { parseOrThrow } from '../domain/validate.ts';

/**
 * One route, declared once: its input and reply schemas (protocol zod schemas), what the docs
 * say about it, and its handler. The express wiring (`mountRoutes`) and the OpenAPI document
 * (openapi-spec.ts) both read these declarations; compare fastify's `schema: {querystring,
 * body, response}`.
 */

/** Who may call: no token, a dashboard (`read`) token, a token of either scope, or the platform's JWT. */
export type Access = 'public' | 'read' | 'any' | 'upstream';

/** A reply: JSON checked against `schema`, or a body of `type` the handler writes itself. */
export type ReplySpec = { description: string; schema: z.ZodType } | { description: string; type?: string };

/** The request body: JSON, or a text/plain JSON body (a beacon cannot set a content type). */
export interface BodySpec<B extends z.ZodType> {
  schema: B;
  /** Names the body in validation messages (`Invalid <label>: ...`). */
  label: string;
  type?: 'application/json' | 'text/plain';
  /** The error for a body that fails `schema`, instead of `validation_failed`. */
  invalid?: () => AppError;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;
/** What the handler returns: the reply's input type (sent as JSON), or nothing when it wrote the body. */
type Returns<R> = R extends { schema: infer S extends z.ZodType } ? z.input<S> : void;

export interface HandlerContext<D, Q, P, B> {
  deps: D;
  query: Out<Q>;
  params: Out<P>;
  /** Parses the body on demand, so a handler's own checks (is this method enabled?) come first. */
  body: () => Out<B>;
  req: Request;
  res: Response;
}

/** A route as declared, with its types. */
export interface RouteSpec<D, Q, P, B, R extends ReplySpec> {
  method: 'get' | 'post' | 'delete';
  /** Express path, relative to where its group is mounted (see route-table.ts). */
  path: string;
  access?: Access;
  tag: string;
  summary: string;
  description?: string;
  query?: Q;
  params?: P;
  body?: B extends z.ZodType ? BodySpec<B> : undefined;
  reply: R;
  /** Error statuses answered with `{error}`, optionally with their own description. */
  errors?: (number | [number, string])[];
  /** Other replies, by status (a 503 readiness report). */
  replies?: Record<number, ReplySpec>;
  /** Middleware in front of the handler (a body parser, a scope check). */
  before?: (deps: D) => RequestHandler[];
  handler: (ctx: HandlerContext<D, Q, P, B>) => Promise<Returns<R>> | Returns<R>;
}

/** A declared route with its types erased, for the table, the wiring and the docs. */
export interface Route<D> {
  method: 'get' | 'post' | 'delete';
  path: string;
  access: Access;
  tag: string;
  summary: string;
  description?: string;
  query?: z.ZodObject;
  params?: z.ZodObject;
  body?: BodySpec<z.ZodType>;
  reply: ReplySpec;
  errors: (number | [number, string])[];
  replies: Record<number, ReplySpec>;
  before?: (deps: D) => RequestHandler[];
  handle(deps: D, req: Request, res: Response): Promise<void>;
}

function readBody(spec: BodySpec<z.ZodType>, req: Request): unknown {
  let raw: unknown = req.body;
  if (spec.type === 'text/plain') {
    if (typeof raw !== 'string') throw new AppError('unsupported_media_type', 'Send the body as text/plain JSON');
    try {
      raw = JSON.parse(raw);
    } catch {
      throw new AppError('bad_request', 'The body is not valid JSON');
    }
  }
  if (spec.invalid && !spec.schema.safeParse(raw).success) throw spec.invalid();
  return parseOrThrow(spec.schema, raw, spec.label);
}

/** Declares routes needing deps `D`: `const route = routesOf<MyDeps>(); route({...})`. */
export function routesOf<D>() {
  return <
    Q extends z.ZodObject | undefined = undefined,
    P extends z.ZodObject | undefined = undefined,
    B extends z.ZodType | undefined = undefined,
    R extends ReplySpec = ReplySpec,
  >(
    spec: RouteSpec<D, Q, P, B, R>,
  ): Route<D> => {
    const { handler, query, params, body, ...rest } = spec;
    return {
      ...rest,
      access: spec.access ?? 'read',
      errors: spec.errors ?? [],
      replies: spec.replies ?? {},
      ...(query ? { query } : {}),
      ...(params ? { params } : {}),
      ...(body ? { body } : {}),
      async handle(deps, req, res) {
        const ctx: HandlerContext<D, Q, P, B> = {
          deps,
          query: (query ? parseOrThrow(query, req.query, 'query') : undefined) as Out<Q>,
          params: (params ? parseOrThrow(params, req.params, 'params') : undefined) as Out<P>,
          body: () => (body ? readBody(body, req) : undefined) as Out<B>,
          req,
          res,
        };
        const reply: unknown = await handler(ctx);
        if ('schema' in spec.reply) res.json(reply);
      },
    };
  };
}

/** Mounts routes on a router, each behind its own middleware. */
export function mountRoutes<D>(router: Router, routes: readonly Route<D>[], deps: D): Router {
  for (const r of routes) router[r.method](r.path, ...(r.before?.(deps) ?? []), (req, res) => r.handle(deps, req, res));
  return router;
}

/** A router of these routes. */
export const routerOf = <D>(routes: readonly Route<D>[], deps: D): Router => mountRoutes(Router(), routes, deps);
