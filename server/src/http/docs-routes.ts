import { Router } from 'express';
import { renderDocsPage } from './docs-page.ts';
import { buildOpenApi } from './openapi-spec.ts';

/**
 * The API description, public (no token): `openapi` serves `/openapi.json` and is mounted with
 * the public API routes (under /api/v1, before auth); `page` serves `/api/docs` and is mounted
 * with the pages. The document depends only on code, so it is built once, lazily.
 */
export function docsRoutes(): { openapi: Router; page: Router } {
  let spec: Record<string, unknown> | null = null;
  let html: string | null = null;
  const getSpec = () => (spec ??= buildOpenApi());

  const openapi = Router();
  openapi.get('/openapi.json', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(getSpec());
  });

  const page = Router();
  page.get('/api/docs', (_req, res) => {
    html ??= renderDocsPage(getSpec());
    res.setHeader('Cache-Control', 'public, max-age=300');
    // Static markup and inline styles only: no script may run on this page.
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    res.type('html').send(html);
  });
  return { openapi, page };
}
