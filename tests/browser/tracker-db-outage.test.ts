/**
 * The hub stays up while its database is gone (the standalone embedded server, stopped and
 * brought back on the same port and files): the hub refuses events (`unavailable`,
 * `internal`, or no ack in time) for far longer than ten retries at the tracker's short test
 * cap, while the user navigates. After recovery every page view made is stored exactly once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo } from '@activity-hub/embedded-mongo';
import { uniqueDbName } from '../helpers/database-target.ts';
import { eventually } from '../helpers/hub.ts';
import {
  duplicateIds,
  hostPage,
  identities,
  keepActive,
  measured,
  openApp,
  pageStart,
  sleep,
  storedPageviews,
} from './tracker-harness.ts';
import { closeTab, endedPageviews, useTrackerRig } from './tracker-rig.ts';

const RETRY_MAX_MS = 400;
const DOWN_MS = 15_000;

describe('tracker → hub: the database down while navigating', () => {
  let dir: string;
  let db: EmbeddedMongo;
  let port: number;
  // Filled in before the rig's beforeAll reads it.
  const env: Record<string, string> = {
    HEARTBEAT_INTERVAL_MS: '5000',
    IDLE_TIMEOUT_MS: '5000',
    FLUSH_INTERVAL_MS: '100',
    // The sweeper would close the open page view while the database is away.
    STALE_AFTER_MS: '600000',
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ah-db-outage-'));
    db = await startEmbeddedMongo({ port: 0, dataDir: dir });
    port = Number(new URL(db.url).port);
    env.MONGO_URL = `${db.url.replace(/\/?$/, '/')}${uniqueDbName('dbout')}`;
  });
  const rig = useTrackerRig(env);
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores every page view made during a 15 s database outage exactly once', async () => {
    const { hub } = rig;
    const ids = await identities(hub, 'dbout');
    const html = hostPage(hub.url, ids.userToken, { mark: true, config: { retryMaxMs: RETRY_MAX_MS } });
    const { page } = await openApp(rig.browser, rig.host, html);
    await pageStart(page);
    const stopInput = keepActive(page);
    await eventually(async () => (await storedPageviews(hub, ids.agencyId)).length === 1, 8_000, 100);
    await sleep(1_000);

    await db.close();
    const down = Date.now();
    const paths: string[] = [];
    for (let i = 1; Date.now() - down < DOWN_MS - 1_500; i++) {
      await page.evaluate((p) => history.pushState({}, '', p), `/app/p${i}`);
      paths.push(`/app/p${i}`);
      await sleep(2_500);
    }
    await sleep(Math.max(0, DOWN_MS - (Date.now() - down)));
    db = await startEmbeddedMongo({ port, dataDir: dir });
    const downMs = Date.now() - down;

    await eventually(async () => (await storedPageviews(hub, ids.agencyId)).length === paths.length + 1, 30_000, 250);
    await sleep(2_000);
    await closeTab(page, stopInput);
    const pvs = await endedPageviews(hub, ids, paths.length + 1);
    measured('db-outage', { downMs, pageviews: pvs.length });
    expect(pvs.map((p) => p.path)).toEqual(['/app', ...paths]);
    const docs = await storedPageviews(hub, ids.agencyId);
    expect(docs).toHaveLength(paths.length + 1);
    expect(duplicateIds(docs).duplicates).toEqual([]);
  }, 90_000);
});
