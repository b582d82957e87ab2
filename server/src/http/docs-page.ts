type Json = Record<string, unknown>;

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** A short, readable type for a JSON Schema: `string`, `"day" | "week"`, `Summary`, `array<TopPage>`. */
function typeOf(s: unknown): string {
  if (!s || typeof s !== 'object') return 'any';
  const o = s as Json;
  if (typeof o.$ref === 'string') return o.$ref.split('/').pop() ?? 'object';
  if (Array.isArray(o.enum)) return o.enum.map((v) => JSON.stringify(v)).join(' | ');
  if ('const' in o) return JSON.stringify(o.const);
  const alts = (o.anyOf ?? o.oneOf) as unknown[] | undefined;
  if (Array.isArray(alts)) return alts.map(typeOf).join(' | ');
  if (o.type === 'array') return `array<${typeOf(o.items)}>`;
  const fmt = typeof o.format === 'string' ? ` (${o.format})` : '';
  return `${typeof o.type === 'string' ? o.type : 'object'}${fmt}`;
}

function paramRows(params: Json[]): string {
  if (params.length === 0) return '';
  const rows = params.map((p) => {
    const schema = (p.schema ?? {}) as Json;
    const dflt =
      'default' in schema ? ` <span class="muted">default ${escapeHtml(JSON.stringify(schema.default))}</span>` : '';
    return `<tr><td><code>${escapeHtml(p.name)}</code>${p.required ? ' <span class="req">required</span>' : ''}</td><td><code>${escapeHtml(typeOf(schema))}</code>${dflt}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`;
  });
  return `<table><thead><tr><th>Query parameter</th><th>Type</th><th>Meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function responseRows(responses: Json): string {
  const rows = Object.entries(responses).map(([status, r]) => {
    const content = ((r as Json).content ?? {}) as Record<string, Json>;
    const types = Object.entries(content)
      .map(([mime, c]) => `<code>${escapeHtml(mime)}</code> ${escapeHtml(typeOf(c.schema))}`)
      .join(', ');
    return `<tr><td class="status s${escapeHtml(status[0])}">${escapeHtml(status)}</td><td>${escapeHtml((r as Json).description ?? '')}</td><td>${types}</td></tr>`;
  });
  return `<table><thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function operation(path: string, method: string, op: Json): string {
  const isPublic = Array.isArray(op.security) && op.security.length === 0;
  const reqBody = (op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined;
  const bodyHtml = reqBody
    ? Object.entries(reqBody)
        .map(
          ([mime, c]) =>
            `<details><summary>Request body <code>${escapeHtml(mime)}</code></summary><pre>${escapeHtml(JSON.stringify(c.schema, null, 2))}</pre></details>`,
        )
        .join('')
    : '';
  const id = `${method}-${path}`.replace(/[^a-z0-9]+/gi, '-');
  return `<section class="op" id="${escapeHtml(id)}">
<h3><span class="method ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code> <span class="badge">${isPublic ? 'public' : 'bearer token'}</span></h3>
<p>${escapeHtml(op.summary ?? '')}</p>${op.description ? `<p class="muted">${escapeHtml(op.description)}</p>` : ''}
${paramRows((op.parameters ?? []) as Json[])}${bodyHtml}${responseRows((op.responses ?? {}) as Json)}</section>`;
}

/**
 * The API reference as one self-contained HTML page, rendered on the server from the OpenAPI
 * document: no script, no CDN (the hub may run offline), every text escaped.
 */
export function renderDocsPage(spec: Json): string {
  const info = (spec.info ?? {}) as Json;
  const paths = (spec.paths ?? {}) as Record<string, Json>;
  const ops = Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ path, method: m, op: item[m] as Json })),
  );
  const toc = ops
    .map(
      ({ path, method }) =>
        `<li><a href="#${escapeHtml(`${method}-${path}`.replace(/[^a-z0-9]+/gi, '-'))}"><span class="method ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`,
    )
    .join('');
  const schemas = Object.entries(((spec.components as Json | undefined)?.schemas ?? {}) as Json)
    .map(
      ([name, s]) =>
        `<details><summary><code>${escapeHtml(name)}</code></summary><pre>${escapeHtml(JSON.stringify(s, null, 2))}</pre></details>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>${escapeHtml(info.title ?? 'API')} reference</title>
<style>
:root{--bg:#fff;--fg:#1d2330;--muted:#5b6475;--line:#e3e6ec;--code:#f4f5f8;--accent:#2857d6}
@media (prefers-color-scheme:dark){:root{--bg:#14171d;--fg:#e6e9ef;--muted:#9aa3b2;--line:#2b303a;--code:#1d2129;--accent:#7aa2ff}}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,sans-serif}
main{max-width:980px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}h2{margin-top:40px;border-bottom:1px solid var(--line)}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
pre{background:var(--code);padding:12px;border-radius:6px;overflow:auto}
a{color:var(--accent)}.muted{color:var(--muted)}
.op{border:1px solid var(--line);border-radius:8px;padding:4px 16px 12px;margin:16px 0}
.method{display:inline-block;min-width:52px;text-align:center;border-radius:4px;padding:0 6px;font-size:12px;font-weight:700;color:#fff;background:#2f7d4f}
.method.post{background:#2857d6}.badge{font-size:12px;color:var(--muted);border:1px solid var(--line);border-radius:10px;padding:0 8px}
.req{font-size:11px;color:#c2410c}table{width:100%;border-collapse:collapse;margin:8px 0}
th,td{text-align:left;border-bottom:1px solid var(--line);padding:4px 8px;vertical-align:top}
.status{font-weight:700}.s2{color:#2f7d4f}.s4,.s5{color:#c2410c}ul.toc{columns:2;list-style:none;padding:0}
</style></head>
<body><main>
<h1>${escapeHtml(info.title ?? 'API')} <span class="muted">${escapeHtml(info.version ?? '')}</span></h1>
<p>${escapeHtml(info.description ?? '')}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI ${escapeHtml(spec.openapi ?? '')}).</p>
<ul class="toc">${toc}</ul>
<h2>HTTP</h2>${ops.map((o) => operation(o.path, o.method, o.op)).join('\n')}
<h2>Socket.io</h2><pre>${escapeHtml(JSON.stringify(spec['x-socket-io'] ?? {}, null, 2))}</pre>
<h2>Schemas</h2>${schemas}
</main></body></html>`;
}
