import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES, errorReplySchema, NAMESPACES } from '@activity-hub/protocol';
import { escapeHtml, renderDocsPage } from '../../../server/src/http/docs-page.ts';
import { allRoutes } from '../../../server/src/http/route-table.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { buildSessions, insertSessions } from './activity-fixtures.ts';
import { tokenFor } from './fixtures.ts';

/** The OpenAPI document and the docs page: public, complete, and consistent with the hub. */
let t: TestHub;
type Spec = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        parameters?: { name: string; required: boolean; schema: Record<string, unknown> }[];
        responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
      }
    >
  >;
  components: {
    securitySchemes: Record<string, { scheme?: string }>;
    schemas: Record<string, { properties?: Record<string, unknown> }>;
  };
  security: unknown[];
  'x-socket-io': { namespaces: Record<string, unknown> };
};
let spec: Spec;

beforeAll(async () => {
  t = await startHub();
  const res = await fetch(`${t.url}/api/v1/openapi.json`);
  expect(res.status).toBe(200);
  spec = (await res.json()) as Spec;
});
afterAll(() => t?.stop());

const ROUTES: [string, string][] = [
  ['get', '/api/v1/auth/config'],
  ['post', '/api/v1/auth/dev'],
  ['post', '/api/v1/auth/sso'],
  ['post', '/api/v1/auth/token'],
  ['post', '/api/v1/auth/refresh'],
  ['get', '/api/v1/me'],
  ['post', '/api/v1/collect'],
  ['get', '/api/v1/pageviews'],
  ['get', '/api/v1/presence'],
  ['get', '/api/v1/directory'],
  ['get', '/api/v1/summary'],
  ['get', '/api/v1/top-pages'],
  ['get', '/api/v1/users'],
  ['get', '/api/v1/export.csv'],
  ['get', '/api/v1/sessions'],
  ['get', '/api/v1/sessions/{id}'],
  ['get', '/api/v1/heatmap'],
  ['delete', '/api/v1/users/{userId}/activity'],
  ['get', '/api/v1/openapi.json'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
];

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document of every route, with bearer security and the error schema', () => {
    expect(spec.openapi).toBe('3.1.0');
    for (const [method, path] of ROUTES) expect(spec.paths[path]?.[method], `${method} ${path}`).toBeDefined();
    expect(spec.components.securitySchemes.bearer?.scheme).toBe('bearer');
    expect(spec.security).toEqual([{ bearer: ['read'] }]);
    expect(JSON.stringify(spec.components.schemas.Error)).toContain(ERROR_CODES[0]);
    expect(Object.keys(spec['x-socket-io'].namespaces)).toEqual([NAMESPACES.track, NAMESPACES.live]);
    // Public routes say so; private ones inherit bearer security.
    expect(spec.paths['/api/v1/auth/dev']?.post?.security).toEqual([]);
    expect(spec.paths['/api/v1/summary']?.get?.security).toBeUndefined();
    expect(spec.paths['/api/v1/summary']?.get?.responses['401']).toBeDefined();
  });

  it('generates query parameters from the protocol schemas', () => {
    const params = spec.paths['/api/v1/summary']?.get?.parameters ?? [];
    const byName = Object.fromEntries(params.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual([
      'from',
      'granularity',
      'locationId',
      'path',
      'to',
      'tz',
      'userId',
      'weekStart',
    ]);
    expect(byName.from?.required).toBe(true);
    expect(byName.tz?.required).toBe(false);
    expect(byName.granularity?.schema).toMatchObject({ enum: ['day', 'week', 'month'], default: 'day' });
    expect(byName.weekStart?.schema.enum).toContain('sunday');
    const heat = (spec.paths['/api/v1/heatmap']?.get?.parameters ?? []).map((p) => p.name).sort();
    expect(heat).toEqual(['from', 'locationId', 'path', 'to', 'tz', 'userId', 'weekStart']);
    const limit = spec.paths['/api/v1/pageviews']?.get?.parameters?.find((p) => p.name === 'limit');
    expect(limit?.schema).toMatchObject({ maximum: 500, minimum: 1 });
  });

  it('references reply schemas that exist', () => {
    const refs = JSON.stringify(spec).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    for (const ref of new Set(refs)) expect(spec.components.schemas[ref.split('/').pop() as string], ref).toBeDefined();
    expect(Object.keys(spec.components.schemas.SessionItem?.properties ?? {})).toContain('entryPath');
    expect(Object.keys(spec.components.schemas.Heatmap?.properties ?? {})).toContain('cells');
    expect(Object.keys(spec.components.schemas.Summary?.properties ?? {})).toEqual([
      'from',
      'to',
      'granularity',
      'tz',
      'buckets',
      'totals',
      'previous',
    ]);
  });
});

describe('the route table', () => {
  it('is what the document describes: every route the hub serves, and no other', () => {
    const documented = Object.entries(spec.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    const want = ROUTES.map(([m, path]) => `${m} ${path}`);
    expect(documented.sort()).toEqual([...want].sort());
    expect(
      allRoutes()
        .map(({ route, path }) => `${route.method} ${path}`)
        .sort(),
    ).toEqual([...want].sort());
  });

  it('answers every route with a reply its schema accepts', async () => {
    const range = { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 8) };
    const seeded = buildSessions({
      agencyId: 'acme',
      users: [{ userId: 'u1', locationId: 'loc-1' }],
      count: 3,
      seed: 7,
      ...range,
    });
    await insertSessions(t, seeded);
    const token = await tokenFor(t, 'boss');
    const query = `from=${new Date(range.from).toISOString()}&to=${new Date(range.to).toISOString()}`;
    const sessionId = (
      (await (
        await fetch(`${t.url}/api/v1/sessions?${query}`, { headers: { authorization: `Bearer ${token}` } })
      ).json()) as { items: { id: string }[] }
    ).items[0]?.id;
    const fill: Record<string, string> = { '{id}': encodeURIComponent(sessionId ?? 'none'), '{userId}': 'gone' };
    const bodies: Record<string, unknown> = {
      '/api/v1/auth/dev': { userId: 'boss', name: 'Boss', role: 'agency', agencyId: 'acme' },
      '/api/v1/auth/sso': { payload: 'x'.repeat(32) },
      '/api/v1/collect': JSON.stringify({ token, events: [{ type: 'nonsense' }] }),
    };
    for (const { route, path } of allRoutes()) {
      const url = `${t.url}${path.replace(/\{\w+\}/g, (p) => fill[p] ?? p)}${route.query ? `?${query}` : ''}`;
      const body = bodies[path];
      const res = await fetch(url, {
        method: route.method.toUpperCase(),
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined
            ? {}
            : { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const what = `${route.method} ${path} → ${res.status}`;
      const declared = res.status === 200 ? route.reply : route.replies[res.status];
      const errors = route.errors.map((e) => (Array.isArray(e) ? e[0] : e));
      if (declared && 'schema' in declared) {
        const parsed = declared.schema.safeParse(await res.json());
        expect(parsed.success, `${what}: ${parsed.error?.message}`).toBe(true);
      } else if (declared) {
        expect(res.headers.get('content-type') ?? '', what).toContain(declared.type ?? 'application/json');
      } else {
        expect(errors, what).toContain(res.status);
        expect(errorReplySchema.safeParse(await res.json()).success, what).toBe(true);
      }
    }
  });
});

describe('GET /api/docs', () => {
  it('is a public, self-contained HTML page listing every route', async () => {
    const res = await fetch(`${t.url}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toMatch(/<script|https?:\/\/(?!json-schema)/i);
    expect(html).toContain('prefers-color-scheme:dark');
    for (const [, path] of ROUTES) expect(html).toContain(`<code>${path}</code>`);
  });

  it('escapes every text from the spec', () => {
    expect(escapeHtml(`<img src=x onerror="a('b')">&`)).toBe(
      '&#60;img src=x onerror=&#34;a(&#39;b&#39;)&#34;&#62;&#38;',
    );
    const html = renderDocsPage({
      info: { title: '<script>alert(1)</script>' },
      paths: { '/x<y>': { get: { summary: '"quoted" & <b>' } } },
    });
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toContain('&#34;quoted&#34; &#38; &#60;b&#62;');
  });
});
