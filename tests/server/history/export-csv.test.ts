import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell, exportFilename } from '../../../server/src/http/csv-export.ts';
import { startHub, type TestHub } from '../../helpers/hub.ts';
import { insertPageviews, pageviewDoc, tokenFor } from './fixtures.ts';

/** `GET /export.csv`: RFC 4180 quoting, formula neutralising, and streaming in bounded memory. */
let t: TestHub;
// A real baseline needs a collection first; without --expose-gc, get `gc` this way.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
let token: string;

beforeAll(async () => {
  t = await startHub();
  token = await tokenFor(t, 'boss');
});
afterAll(() => t?.stop());

const exportUrl = (q: Record<string, string>) => `${t.url}/api/v1/export.csv?${new URLSearchParams(q)}`;

/** Parses RFC 4180 CSV (quoted cells may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (quoted && c === '"') quoted = false;
    else if (quoted) cell += c;
    else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

describe('CSV cells', () => {
  it('quotes and neutralises', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
    for (const lead of ['+1', '-1+2', '@SUM(A1)', '\tcmd', '\rcmd'])
      expect(csvCell(lead).replace(/^"/, '').startsWith("'")).toBe(true);
    expect(csvCell(1234)).toBe('1234');
    expect(csvCell(null)).toBe('');
  });

  it('quotes every cell a spreadsheet could split: , ; tab quote CR LF', () => {
    // Spreadsheets that split on `;` would otherwise see a cell `=1+1` and run it.
    expect(csvCell('x;=1+1')).toBe('"x;=1+1"');
    expect(csvCell('a\tb')).toBe('"a\tb"');
    expect(csvCell('a\rb')).toBe('"a\rb"');
    for (const s of ['a,b', 'a;b', 'a\tb', 'a"b', 'a\rb', 'a\nb'])
      expect(csvCell(s), JSON.stringify(s)).toMatch(/^".*"$/s);
    // The formula guard still runs first, and the guarded cell is quoted when it must be.
    expect(csvCell('=1+1;x')).toBe(`"'=1+1;x"`);
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell('plain text/with:colons')).toBe('plain text/with:colons');
  });

  it('names the file after the range', () => {
    expect(exportFilename(new Date('2026-03-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z'))).toBe(
      'activity-2026-03-01-2026-04-01.csv',
    );
    expect(exportFilename(new Date('2026-03-01T10:30:00.500Z'), undefined)).toBe('activity-2026-03-01T103000Z-now.csv');
    expect(exportFilename(undefined, undefined)).toBe('activity-start-now.csv');
  });
});

describe('GET /export.csv', () => {
  it('exports the page views in scope with headers, columns and hostile text intact', async () => {
    await insertPageviews(t, [
      {
        userId: 'u1',
        userName: 'Ann, "The Boss"',
        path: '/contacts',
        title: "=cmd|' /C calc'!A0",
        startedAt: '2026-02-01T10:00:00Z',
        referrer: '@evil',
        id: 'pv-1',
        locationId: null,
      },
      {
        userId: 'u2',
        userName: 'Bo\nLine',
        path: '/reporting',
        title: 'Report, Q1',
        startedAt: '2026-02-01T11:00:00Z',
        id: 'pv-2',
      },
      { userId: 'u3', path: '/x', startedAt: '2026-02-05T00:00:00Z', id: 'pv-out' },
    ]);
    const res = await fetch(exportUrl({ from: '2026-02-01', to: '2026-02-02' }), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="activity-2026-02-01-2026-02-02.csv"');
    const rows = parseCsv(await res.text());
    expect(rows[0]).toEqual([
      'id',
      'startedAt',
      'endedAt',
      'userId',
      'userName',
      'locationId',
      'path',
      'title',
      'url',
      'referrer',
      'engagedMs',
      'endReason',
      'sessionId',
    ]);
    expect(rows).toHaveLength(3);
    const [, first, second] = rows as [string[], string[], string[]];
    expect(first.slice(0, 8)).toEqual([
      'pv-1',
      '2026-02-01T10:00:00.000Z',
      '2026-02-01T10:00:01.500Z',
      'u1',
      'Ann, "The Boss"',
      '',
      '/contacts',
      "'=cmd|' /C calc'!A0",
    ]);
    expect(first.slice(9, 12)).toEqual(["'@evil", '1000', 'navigate']);
    expect(second.slice(3, 8)).toEqual(['u2', 'Bo\nLine', 'loc-1', '/reporting', 'Report, Q1']);
  });

  it('streams 100k rows in bounded memory', async () => {
    const agencyId = 'big';
    const base = Date.UTC(2026, 0, 1);
    const batch = (b: number) =>
      Array.from({ length: 5_000 }, (_, i) => {
        const d = pageviewDoc({ agencyId, userId: `u${i % 50}`, startedAt: new Date(base + (b * 5_000 + i) * 1_000) });
        // Historic rows (written long ago): the rollup job has nothing to do with them, so this
        // test measures the export alone.
        return { ...d, updatedAt: d.startedAt };
      });
    // Two batches in flight: the worker encodes one while the server stores the other.
    for (let b = 0; b < 20; b += 2)
      await Promise.all([b, b + 1].map((n) => t.hub.db.models.pageviews.insertMany(batch(n))));
    const bigToken = await tokenFor(t, 'boss', { agencyId });
    // Live memory: sampled right after a collection, so garbage the stream leaves behind (which
    // V8 frees lazily) does not count; what remains is what the export holds on to.
    gc();
    const before = process.memoryUsage();
    let peakHeap = 0;
    let peakRss = 0;
    const sample = setInterval(() => {
      gc();
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed - before.heapUsed);
      peakRss = Math.max(peakRss, m.rss - before.rss);
    }, 500);
    const s = Date.now();
    const res = await fetch(exportUrl({}), { headers: { authorization: `Bearer ${bigToken}` } });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let lines = 0;
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.length;
      for (const byte of value) if (byte === 10) lines++;
    }
    clearInterval(sample);
    expect(lines - 1).toBe(100_000);
    // Materialised, 100k rows would be ~25 MB of text and well over 100 MB as documents.
    process.stdout.write(
      `export: ${(bytes / 1e6).toFixed(1)} MB streamed in ${Date.now() - s} ms; peak growth heap ${(peakHeap / 1e6).toFixed(1)} MB, rss ${(peakRss / 1e6).toFixed(1)} MB\n`,
    );
    expect(peakHeap).toBeLessThan(60e6);
    expect(peakRss).toBeLessThan(100e6);
  }, 60_000);

  it('stops reading when the client goes away', async () => {
    const ctrl = new AbortController();
    // Six hours of the big agency: 21,600 rows, far more than one read.
    const res = await fetch(exportUrl({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T06:00:00Z' }), {
      headers: { authorization: `Bearer ${await tokenFor(t, 'boss', { agencyId: 'big' })}` },
      signal: ctrl.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    ctrl.abort();
    // The hub keeps serving: the cursor was closed rather than left to leak.
    const ok = await fetch(exportUrl({ from: '2026-02-01', to: '2026-02-02' }), {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
  });
});
