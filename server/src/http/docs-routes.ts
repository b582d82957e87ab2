import { Router } from 'express';
import { renderDocsPage } from './docs-page.ts';
import type { Json } from './openapi-parts.ts';
import { buildOpenApi } from './openapi-spec.ts';

/**
 * The API description: `spec` builds the document once, lazily (it only depends on code), for
 * `/openapi.json`; `page` serves `/api/docs` and is mounted with the pages.
 */
export function docsRoutes(): { spec: () => Json; page: Router } {
  let spec: Json | null = null;
  let html: string | null = null;
  const getSpec = () => (spec ??= buildOpenApi());

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
  return { spec: getSpec, page };
}
