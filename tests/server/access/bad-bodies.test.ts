/**
 * Bodies that cannot be decoded (issue 10, hole 9): a Content-Encoding that does not match the
 * bytes answers 400 `body_invalid`, on /collect and on a JSON route, and logs no stack.
 */
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/src/logger.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { expectCleanError } from './tenants.ts';

let t: TestHub;
let logs = '';
beforeAll(async () => {
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => (logs += c.toString()));
  t = await startHub({}, { log: createLogger('trace', {}, stream) });
});
afterAll(() => t?.stop());

const post = (path: string, encoding: string, body: Uint8Array<ArrayBuffer> | string, type: string) =>
  fetch(`${t.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': type, 'content-encoding': encoding },
    body,
  });

describe('a body its Content-Encoding does not describe', () => {
  it.each([
    ['/collect', 'text/plain'],
    ['/auth/dev', 'application/json'],
  ])('%s answers 400 body_invalid for gzip, deflate and br, and logs no stack', async (path, type) => {
    for (const encoding of ['gzip', 'deflate', 'br']) {
      logs = '';
      const res = await post(path, encoding, '{"not":"compressed"}', type);
      expect(res.status, `${path} ${encoding}`).toBe(400);
      expectCleanError(await res.json(), 'body_invalid');
      expect(logs, `${path} ${encoding}`).not.toMatch(/"stack"|\n\s+at |"level":50/);
    }
  });

  it('still decodes a real gzip body', async () => {
    const res = await post('/auth/dev', 'gzip', new Uint8Array(gzipSync('{"userId":')), 'application/json');
    // Decoded, then refused as JSON: the clean 400 bad JSON already had.
    expect(res.status).toBe(400);
    expectCleanError(await res.json(), 'bad_request');
  });
});
