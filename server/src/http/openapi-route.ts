import type { Json } from './openapi-parts.ts';
import { routesOf } from './route-def.ts';

export interface DocsDeps {
  /** The OpenAPI document (built once). */
  spec: () => Json;
}

/** `/openapi.json`: the API description, public (no token); mounted with the public API routes. */
export const DOCS_ROUTES = [
  routesOf<DocsDeps>()({
    method: 'get',
    path: '/openapi.json',
    access: 'public',
    tag: 'operations',
    summary: 'This document',
    reply: { description: 'OpenAPI 3.1 document' },
    handler: ({ deps, res }) => {
      res.setHeader('Cache-Control', 'public, max-age=300');
      res.json(deps.spec());
    },
  }),
];
