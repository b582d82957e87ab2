/**
 * The production set-up, checked without a Docker engine: docker-compose.yml (parsed with merge
 * keys), deploy/nginx.conf and the Dockerfile agree with each other and with server/src/config.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../../server/src/config.ts';
import { defaultMaxConnections } from '../../../server/src/realtime/connection-ceiling.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  build?: unknown;
  image?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  healthcheck?: { test: string[] | string; interval?: string };
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: string[];
  stop_grace_period?: string;
  ulimits?: { nofile?: { soft: number; hard: number } | number };
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
};
const nginx = read('deploy/nginx.conf');
const dockerfile = read('Dockerfile');

const hubs = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);
const envOf = (s: Service): Record<string, string> => {
  const e = s.environment ?? {};
  const pairs = Array.isArray(e)
    ? e.map((x) => x.split(/=(.*)/s) as [string, string])
    : Object.entries(e).map(([k, v]) => [k, v === null ? '' : String(v)]);
  return Object.fromEntries(pairs);
};

/** Compose interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?msg}`, `$$`. */
function interpolate(value: string, vars: Record<string, string>): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g,
    (whole, name: string | undefined, colon: string, op: string, arg: string) => {
      if (whole === '$$') return '$';
      const set = vars[name!];
      const usable = colon ? !!set : set !== undefined;
      if (usable) return set!;
      if (op === '?') throw new Error(`${name}: ${arg}`);
      return op === '-' ? arg : '';
    },
  );
}
const durationMs = (d: string) => {
  const m = /^(\d+)(ms|s|m)$/.exec(d);
  if (!m) throw new Error(`unsupported duration ${d}`);
  return Number(m[1]) * { ms: 1, s: 1_000, m: 60_000 }[m[2] as 'ms' | 's' | 'm'];
};

describe('docker-compose.yml', () => {
  it('runs mongo with a volume, redis, at least two hub replicas and nginx in front', () => {
    const { mongo, redis, nginx: proxy } = compose.services;
    expect(mongo?.image).toMatch(/^mongo:/);
    const volume = mongo!.volumes?.find((v) => v.endsWith(':/data/db'));
    expect(volume).toBeDefined();
    expect(Object.keys(compose.volumes ?? {})).toContain(volume!.split(':')[0]);
    expect(redis?.image).toMatch(/^redis:/);
    expect(hubs.length).toBeGreaterThanOrEqual(2);
    expect(proxy?.image).toMatch(/^nginx/);
    expect(proxy!.volumes?.some((v) => v.startsWith('./deploy/nginx.conf:'))).toBe(true);
    expect(Object.keys(proxy!.depends_on ?? {})).toEqual(expect.arrayContaining(hubs.map(([n]) => n)));
  });

  it('has a health check on every service', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.healthcheck?.test, name).toBeDefined();
      expect(s.healthcheck!.test.length, name).toBeGreaterThan(0);
    }
    for (const [name, s] of hubs) {
      expect(JSON.stringify(s.healthcheck!.test), name).toMatch(/\/(readyz|healthz)/);
      // The hubs start only once their dependencies are healthy.
      expect(s.depends_on, name).toMatchObject({
        mongo: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
    }
  });

  it('gives each hub every variable production requires, and only variables config.ts knows', () => {
    for (const [name, s] of hubs) {
      const env = envOf(s);
      for (const v of ['NODE_ENV', 'HUB_JWT_SECRET', 'MONGO_URL', 'REDIS_URL'])
        expect(Object.keys(env), name).toContain(v);
      expect(env.NODE_ENV).toBe('production');
      for (const v of Object.keys(env)) expect(CONFIG_VARIABLES, `${name}: ${v}`).toContain(v);
      expect(env.MONGO_URL).toMatch(/^mongodb:\/\/mongo[:/]/);
      expect(env.REDIS_URL).toMatch(/^redis:\/\/redis[:/]/);
      expect(env.TRUST_PROXY).toBe('true');
      // Every sign-in method can be configured through compose (generic JWT needs all of these).
      for (const v of CONFIG_VARIABLES.filter((x) => /^(SSO_|HIGHLEVEL_)/.test(x)))
        expect(Object.keys(env), `${name}: ${v}`).toContain(v);
    }
    const ids = hubs.map(([, s]) => envOf(s).INSTANCE_ID);
    expect(new Set(ids).size).toBe(hubs.length);
  });

  it('has an environment loadConfig() accepts once placeholders are filled in', () => {
    const samples: Record<string, string>[] = [
      { HUB_JWT_SECRET: 'a'.repeat(64) },
      {
        HUB_JWT_SECRET: 'b'.repeat(64),
        HIGHLEVEL_SSO_KEY: 'shared-secret',
        TRACKER_ORIGINS: 'https://app.gohighlevel.com',
        PUBLIC_ORIGINS: 'https://app.gohighlevel.com,https://hub.example.com',
        LOG_LEVEL: 'warn',
      },
      {
        HUB_JWT_SECRET: 'd'.repeat(64),
        SSO_JWKS_URL: 'https://idp.example.com/.well-known/jwks.json',
        SSO_ISSUER: 'https://idp.example.com/',
        SSO_AUDIENCE: 'activity-hub',
        SSO_CLAIMS: '{"sub":"user_id","agencyId":"org_id","role":"kind"}',
      },
    ];
    for (const [name, s] of hubs) {
      for (const vars of samples) {
        const env = Object.fromEntries(Object.entries(envOf(s)).map(([k, v]) => [k, interpolate(v, vars)]));
        const config = loadConfig(env);
        expect(config.NODE_ENV, name).toBe('production');
        expect(config.devLoginEnabled, name).toBe(false);
        expect(config.HUB_JWT_SECRET).toBe(vars.HUB_JWT_SECRET);
        expect(config.TRUST_PROXY).toBe(true);
      }
      // Without the secret compose itself refuses to start, naming it.
      expect(() => Object.values(envOf(s)).map((v) => interpolate(v, {}))).toThrow(/HUB_JWT_SECRET/);
    }
  });

  it('gives a hub time to shut down gracefully before it is killed', () => {
    for (const [name, s] of hubs) {
      const config = loadConfig(
        Object.fromEntries(
          Object.entries(envOf(s)).map(([k, v]) => [k, interpolate(v, { HUB_JWT_SECRET: 'c'.repeat(64) })]),
        ),
      );
      // main.ts gives up SHUTDOWN_TIMEOUT_MS + 2 s after the signal; docker must wait longer.
      expect(durationMs(s.stop_grace_period ?? '10s'), name).toBeGreaterThan(config.SHUTDOWN_TIMEOUT_MS + 2_000);
      expect(JSON.stringify(s.healthcheck!.test)).toContain(`:${config.PORT}/`);
    }
  });
});

describe('docker-compose.yml: connection capacity', () => {
  it("raises each hub's open-file limit, so its derived connection ceiling holds 15,000 trackers", () => {
    for (const [name, s] of hubs) {
      const nofile = s.ulimits?.nofile;
      expect(nofile, name).toBeDefined();
      const { soft, hard } = typeof nofile === 'number' ? { soft: nofile, hard: nofile } : nofile!;
      // The hub reads the soft limit; node raises it to the hard one at start, so both count.
      expect(soft, name).toBe(hard);
      expect(defaultMaxConnections(soft), name).toBeGreaterThanOrEqual(15_000);
      expect(envOf(s).MAX_CONNECTIONS, `${name}: leave MAX_CONNECTIONS derived from the limit`).toBeUndefined();
    }
  });

  it("explains the limit in README's production notes", () => {
    const readme = read('README.md');
    expect(readme).toMatch(/ulimits/);
    expect(readme).toMatch(/over_capacity/);
  });
});

describe('deploy/nginx.conf', () => {
  it('never exposes /metrics: a case-insensitive location answers 404 before the proxy', () => {
    const loc = /location\s+~\*\s+(\S+)\s*\{([^}]*)\}/.exec(nginx);
    expect(loc, 'a location ~* for /metrics').not.toBeNull();
    const re = new RegExp(loc![1]!, 'i');
    for (const path of ['/metrics', '/METRICS', '//metrics', '/metrics/', '/Metrics/x'])
      expect(re.test(path), path).toBe(true);
    for (const path of ['/api/v1/metrics-page', '/demo/metrics', '/']) expect(re.test(path), path).toBe(false);
    expect(loc![2]).toMatch(/return\s+404\s*;/);
    expect(loc![2]).not.toContain('proxy_pass');
  });

  const upstream = /upstream\s+(\w+)\s*\{([^}]*)\}/.exec(nginx);

  it('balances over every hub replica with sticky sessions', () => {
    expect(upstream).not.toBeNull();
    const body = upstream![2]!;
    expect(body).toMatch(/^\s*(ip_hash|hash\s+\S+(\s+consistent)?)\s*;/m);
    const servers = [...body.matchAll(/^\s*server\s+([\w.-]+):(\d+)/gm)].map((m) => `${m[1]}:${m[2]}`);
    const port = envOf(hubs[0]![1]).PORT;
    expect(servers.sort()).toEqual(hubs.map(([n]) => `${n}:${port}`).sort());
  });

  it('upgrades WebSocket connections for socket.io', () => {
    const loc = /location\s+\/socket\.io\/\s*\{([^}]*)\}/.exec(nginx);
    expect(loc).not.toBeNull();
    const body = loc![1]!;
    expect(body).toContain(`proxy_pass http://${upstream![1]}`);
    expect(body).toMatch(/proxy_http_version\s+1\.1\s*;/);
    expect(body).toMatch(/proxy_set_header\s+Upgrade\s+\$http_upgrade\s*;/);
    expect(body).toMatch(/proxy_set_header\s+Connection\s+(\$connection_upgrade|"upgrade"|upgrade)\s*;/);
    if (body.includes('$connection_upgrade'))
      expect(nginx).toMatch(/map\s+\$http_upgrade\s+\$connection_upgrade\s*\{[^}]*default\s+upgrade\s*;/);
    // socket.io pings every 20 s; nginx must not cut an idle WebSocket before that.
    const timeout = /proxy_read_timeout\s+(\d+)s/.exec(body);
    expect(Number(timeout?.[1] ?? 60)).toBeGreaterThan(45);
    expect(body).toMatch(/proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for\s*;/);
  });

  it('listens on the port compose publishes', () => {
    const published = compose.services.nginx!.ports!.map((p) => interpolate(p, {}).split(':').pop());
    const listen = /listen\s+(\d+)/.exec(nginx)?.[1];
    expect(published).toContain(listen);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM\s+/m).slice(1);
  const final = stages.at(-1)!;

  it('is multi-stage and runs the built hub as a non-root user', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const user = /^USER\s+(\S+)/m.exec(final)?.[1];
    expect(user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(user);
    const cmd = /^CMD\s+(.*)$/m.exec(final)?.[1];
    expect(JSON.parse(cmd!)).toEqual(['node', 'server/dist/main.js']);
    expect(final).toMatch(/^STOPSIGNAL\s+SIGTERM/m);
  });

  it('ships the built server, dashboard, tracker and demo, and production dependencies only', () => {
    for (const dir of ['server/dist', 'client/dist', 'tracker/dist', 'server/demo']) {
      expect(final, dir).toMatch(new RegExp(`^COPY\\s+--from=\\w+\\s+/app/${dir}\\s+${dir}\\s*$`, 'm'));
    }
    // The hub finds its root by the workspace's package.json.
    expect(final).toMatch(/^COPY\s+--from=\w+\s+\/app\/package\.json\s+\.\/\s*$/m);
    expect(dockerfile).toMatch(/npm ci[^\n]*--omit=dev/);
    expect(final).toMatch(/^COPY\s+--from=deps\s+\/app\/node_modules\s+node_modules/m);
    expect(final).toMatch(/^ENV\s+.*NODE_ENV=production/m);
  });

  it('keeps build outputs and local data out of the build context', () => {
    const ignore = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['node_modules', '**/node_modules', '**/dist', 'data', '.git']) expect(ignore).toContain(p);
  });
});
