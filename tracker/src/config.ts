/** How the tracker is set up, from the script tag's data attributes and `window.activityHubConfig`. */
export interface TrackerConfig {
  token?: string;
  /** HighLevel app id: the token comes from `exposeSessionDetails(appId)` and the hub's SSO exchange. */
  appId?: string;
  /** Hub origins; the tracker moves to the next one when a connection fails. */
  endpoints: string[];
  /** `true` keeps every query parameter, a list keeps those names, `false` drops the query. */
  allowQuery: boolean | string[];
  debug: boolean;
  /** Longest wait between two retries, ms (30 s; tests make it shorter). */
  retryMaxMs: number;
}

/** The shape of `window.activityHubConfig`. */
export interface GlobalConfig {
  token?: string;
  appId?: string;
  endpoint?: string;
  endpoints?: string[];
  allowQuery?: boolean | string[];
  debug?: boolean;
  /** Test-only: the longest wait between two retries, in ms (default 30 s, at least 100). */
  retryMaxMs?: number;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v : String(v || '').split(',')).map(text).filter((s): s is string => !!s);

/**
 * Merges the script tag's `data-*` attributes (`dataset`, which win) with the global config.
 * Endpoints are reduced to http(s) origins, since socket.io and the REST routes live at the
 * root; with none given, the origin of the script's own URL (`base`) is the hub.
 */
export function parseConfig(data: Record<string, string | undefined>, global: unknown, base?: string): TrackerConfig {
  const g: GlobalConfig = global && typeof global === 'object' ? global : {};
  const endpoints: string[] = [];
  const named = list(data.endpoint || g.endpoints || g.endpoint);
  for (const e of named.length ? named : list(base)) {
    try {
      const u = new URL(e, base);
      if (/^https?:$/.test(u.protocol) && !endpoints.includes(u.origin)) endpoints.push(u.origin);
    } catch {
      // Not a URL: skip it.
    }
  }
  const q = 'allowQuery' in data ? data.allowQuery : g.allowQuery;
  return {
    token: text(data.token || g.token),
    appId: text(data.appId || g.appId),
    endpoints,
    // A bare `data-allow-query` keeps everything; "false" keeps nothing; otherwise a name list.
    allowQuery:
      typeof q === 'string'
        ? q.trim() === '' || q === 'true' || (q !== 'false' && list(q))
        : Array.isArray(q)
          ? list(q)
          : !!q,
    debug: 'debug' in data ? data.debug !== 'false' : g.debug === true,
    retryMaxMs: Math.max(100, Number(g.retryMaxMs) || 30_000),
  };
}
