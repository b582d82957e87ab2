import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';

/** Finds the repository root (where the built client and tracker live) from this file. */
export function findRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'activity-hub')
      return dir;
    dir = path.dirname(dir);
  }
  throw new Error(`activity-hub root not found above ${start}`);
}

/**
 * The dashboard's Content-Security-Policy: its own scripts, styles, images and socket only
 * (`'self'` covers same-origin ws/wss), and framing only by `frameAncestors` (HighLevel's app,
 * where it runs as a Custom Page, and the configured origins). Inline style attributes stay
 * allowed: Svelte and Chart.js set element styles; inline scripts do not.
 */
export function dashboardCsp(frameAncestors: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors 'self'${frameAncestors.map((o) => ` ${o}`).join('')}`,
  ].join('; ');
}

/**
 * The built dashboard at `/`, the tracker at `/tracker.js`, and the demo app at `/demo/`.
 * Hashed assets are immutable; HTML and the tracker revalidate by ETag.
 */
export function staticRoutes(root: string, opts: { frameAncestors?: readonly string[] } = {}): Router {
  const csp = dashboardCsp(opts.frameAncestors ?? []);
  const r = Router();
  const tracker = path.join(root, 'tracker/dist/tracker.js');
  r.get('/tracker.js', (_req, res, next) => {
    res.setHeader('Cache-Control', 'public, max-age=300, must-revalidate');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.sendFile(
      tracker,
      { etag: true, lastModified: true, headers: { 'Content-Type': 'text/javascript; charset=utf-8' } },
      (err) => {
        if (err) next();
      },
    );
  });
  const demo = path.join(root, 'server/demo');
  r.use(
    '/demo',
    express.static(demo, { index: 'index.html', setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }),
  );
  // The demo is a single-page app: every /demo/* route serves its shell.
  r.get(/^\/demo(\/.*)?$/, (_req, res) =>
    res.sendFile(path.join(demo, 'index.html'), { headers: { 'Cache-Control': 'no-cache' } }),
  );
  const client = path.join(root, 'client/dist');
  r.use(
    express.static(client, {
      index: 'index.html',
      setHeaders: (res, file) => {
        res.setHeader('Content-Security-Policy', csp);
        res.setHeader(
          'Cache-Control',
          file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    }),
  );
  return r;
}
