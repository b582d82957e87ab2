import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { getJson, tokenFor } from './fixtures.ts';

/** Every query parameter is validated: 400 `validation_failed` with a message naming the problem. */
let t: TestHub;
let token: string;

beforeAll(async () => {
  t = await startHub();
  token = await tokenFor(t, 'boss');
});
afterAll(() => t?.stop());

type ErrorReply = { error: { code: string; message: string; issues?: { path: string }[] } };
const day = { from: '2026-03-01', to: '2026-03-08' };

const BAD: [string, string, Record<string, string>, RegExp][] = [
  ['summary', '/summary', { to: '2026-03-08' }, /from/],
  ['summary', '/summary', { from: '2026-03-01' }, /to/],
  ['summary', '/summary', { ...day, tz: 'Mars/Olympus' }, /tz.*IANA/],
  ['summary', '/summary', { ...day, tz: '+05:30' }, /tz/],
  ['summary', '/summary', { from: '2026-03-08', to: '2026-03-08' }, /`from` must be before `to`/],
  ['summary', '/summary', { from: '2026-03-09', to: '2026-03-08' }, /`from` must be before `to`/],
  ['summary', '/summary', { ...day, granularity: 'hour' }, /granularity/],
  ['summary', '/summary', { ...day, weekStart: 'funday' }, /weekStart/],
  ['summary', '/summary', { from: '2020-01-01', to: '2026-01-01' }, /Too many buckets.*400 days/],
  ['summary', '/summary', { from: '2020-01-01', to: '2026-01-01', granularity: 'week' }, /Too many buckets.*120 weeks/],
  [
    'summary',
    '/summary',
    { from: '2000-01-01', to: '2026-01-01', granularity: 'month' },
    /Too many buckets.*60 months/,
  ],
  ['summary', '/summary', { from: 'yesterday', to: '2026-03-08' }, /from/],
  ['summary', '/summary', { from: '2026-02-30', to: '2026-03-08' }, /from/],
  ['summary', '/summary', { ...day, userId: '' }, /userId/],
  ['pageviews', '/pageviews', { cursor: 'not-a-cursor' }, /cursor/i],
  ['pageviews', '/pageviews', { cursor: Buffer.from('[1e300,"x"]').toString('base64url') }, /cursor/i],
  ['pageviews', '/pageviews', { cursor: Buffer.from('{"$gt":""}').toString('base64url') }, /cursor/i],
  ['pageviews', '/pageviews', { limit: '0' }, /limit/],
  ['pageviews', '/pageviews', { limit: '501' }, /limit/],
  ['pageviews', '/pageviews', { limit: 'ten' }, /limit/],
  ['pageviews', '/pageviews', { from: '-5' }, /from/],
  ['top-pages', '/top-pages', { limit: '1000' }, /limit/],
  ['top-pages', '/top-pages', { from: '2026-03-02', to: '2026-03-01' }, /`from` must be before `to`/],
  ['users', '/users', { path: 'x'.repeat(2000) }, /path/],
  ['users', '/users', { locationId: 'x'.repeat(200) }, /locationId/],
  ['export', '/export.csv', { from: 'soon' }, /from/],
  ['export', '/export.csv', { from: '2026-03-02', to: '2026-03-01' }, /`from` must be before `to`/],
];

describe('bad query parameters', () => {
  it.each(BAD)('%s %s %j', async (_name, path, query, message) => {
    const res = await getJson<ErrorReply>(t, path, token, query);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(message);
  });

  it('a repeated parameter is refused, not silently picked', async () => {
    const res = await fetch(`${t.url}/api/v1/summary?from=2026-03-01&to=2026-03-08&tz=UTC&tz=Europe/Berlin`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(400);
  });

  it('accepts the largest allowed ranges', async () => {
    expect((await getJson(t, '/summary', token, { from: '2025-01-01', to: '2026-02-05' })).status).toBe(200); // 400 days
    expect(
      (await getJson(t, '/summary', token, { from: '2022-01-01', to: '2026-12-31', granularity: 'month' })).status,
    ).toBe(200);
  });

  it('refuses a token in the URL even with a valid header', async () => {
    const res = await getJson<ErrorReply>(t, '/summary', token, { ...day, access_token: token });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('token_in_query');
  });
});
