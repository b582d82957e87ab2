/**
 * .github/workflows/ci.yml, checked without GitHub: its test job runs what .ci/run runs (lint,
 * typecheck and README's test command) against MongoDB 7 and Redis 7 service containers with
 * MONGO_URL set, installing the same Debian packages; its compose job builds the Dockerfile,
 * starts docker-compose.yml and smoke-tests it through nginx.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Step {
  run?: string;
  uses?: string;
  name?: string;
}
interface Job {
  container?: string;
  services?: Record<string, { image: string }>;
  env?: Record<string, string>;
  steps: Step[];
}
const workflow = parse(read('.github/workflows/ci.yml')) as { jobs: Record<string, Job> };
const ciRun = read('.ci/run');
const readme = read('README.md');
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, { ports?: string[] }>;
};

/** Shell commands of a job, one per line, without comments. */
const commands = (job: Job) =>
  job.steps
    .flatMap((s) => (s.run ?? '').split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
/** Commands .ci/run runs (its `echo` lines aside). */
const ciRunCommands = ciRun
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => /^(npm|npx|node) /.test(l));
/** README's test command: the code block after "the same command CI runs". */
const readmeTest = /same command CI runs[\s\S]*?```sh\n([^\n]+)\n```/.exec(readme)?.[1]?.trim();

describe('CI workflow', () => {
  const test = workflow.jobs.test!;
  const composeJob = workflow.jobs.compose!;

  it('runs lint, typecheck and README’s test command, in .ci/run’s order', () => {
    expect(readmeTest).toBe('npm test');
    const mine = commands(test).filter((c) => /^(npm|npx|node) /.test(c));
    expect(mine).toEqual(ciRunCommands);
    expect(mine).toContain('npm run lint');
    expect(mine).toContain('npm run typecheck');
    expect(mine.at(-1)).toBe(readmeTest);
  });

  it('installs the Debian packages .ci/run installs, on Debian', () => {
    const wanted = [...ciRun.matchAll(/need\+=\(([\w-]+)\)/g)].map((m) => m[1]!);
    expect(wanted.sort()).toEqual(['chromium', 'redis-server']);
    const install = commands(test).find((c) => c.includes('apt-get install'));
    for (const pkg of wanted) expect(install).toMatch(new RegExp(`\\b${pkg}\\b`));
    expect(test.container).toMatch(/bookworm/);
  });

  it('tests against MongoDB 7 and Redis 7 with MONGO_URL and CI=true set', () => {
    const images = Object.values(test.services ?? {}).map((s) => s.image);
    expect(images).toEqual(expect.arrayContaining(['mongo:7', 'redis:7']));
    const mongoService = Object.entries(test.services ?? {}).find(([, s]) => s.image === 'mongo:7')![0];
    expect(test.env?.MONGO_URL).toMatch(new RegExp(`^mongodb://${mongoService}:27017/\\w+$`));
    expect(test.env?.CI).toBe('true');
  });

  it('builds the Dockerfile, starts compose and smoke-tests it through nginx', () => {
    const cmds = commands(composeJob);
    expect(cmds.some((c) => /^docker build .* \.$/.test(c))).toBe(true);
    expect(cmds.some((c) => c.startsWith('docker compose up') && c.includes('--wait'))).toBe(true);
    const smoke = cmds.find((c) => c.includes('scripts/compose-smoke.mjs'));
    expect(smoke).toBeDefined();
    expect(fs.existsSync(path.join(ROOT, 'scripts/compose-smoke.mjs'))).toBe(true);
    // The smoke test talks to nginx's published port.
    const port = /:(\d+)\b/.exec(smoke!.split(' ').at(-1)!)?.[1];
    const published = compose.services.nginx!.ports![0]!.replace(
      /\$\{HUB_PORT:-(\d+)\}/,
      (_m, d: string) => composeJob.env?.HUB_PORT ?? d,
    );
    expect(published).toBe(`${port}:80`);
    // Production compose needs a hub secret, and the smoke test mints tokens with the same one.
    expect(composeJob.env?.HUB_JWT_SECRET?.length).toBeGreaterThanOrEqual(32);
    expect(cmds.some((c) => c.startsWith('docker compose down'))).toBe(true);
  });
});
