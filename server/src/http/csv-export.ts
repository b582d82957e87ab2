import type { Response } from 'express';
import { PAGEVIEW_CSV_COLUMNS, type PageviewCsvRow } from '@activity-hub/protocol';

/** The export's columns, in order: the protocol's `pageviewCsvSchema`. */
export const CSV_COLUMNS = PAGEVIEW_CSV_COLUMNS;

export type ExportRow = PageviewCsvRow;

/** Spreadsheets run a cell starting with one of these as a formula (CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * Cells holding any separator a spreadsheet might split on (`,`, and `;` or tab in locales or
 * imports that use them), a quote or a line break are quoted: unquoted, `x;=1+1` splits into a
 * cell `=1+1` that the formula guard never saw.
 */
const NEEDS_QUOTES = /[",;\t\r\n]/;

/**
 * One CSV cell (RFC 4180): text that a spreadsheet would evaluate gets a leading `'`, and
 * cells holding a separator, quote or line break are quoted with quotes doubled.
 */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV line (CRLF-terminated) for a page view. */
export function csvRow(r: ExportRow): string {
  return `${CSV_COLUMNS.map((c) => csvCell(r[c])).join(',')}\r\n`;
}

/** `activity-<from>-<to>.csv`: dates, or full UTC times when not at midnight; open ends named. */
export function exportFilename(from: Date | undefined, to: Date | undefined): string {
  const stamp = (d: Date | undefined, open: string) => {
    if (!d) return open;
    const s = d.toISOString();
    return s.endsWith('T00:00:00.000Z') ? s.slice(0, 10) : s.replace(/\.\d{3}Z$/, 'Z').replaceAll(':', '');
  };
  return `activity-${stamp(from, 'start')}-${stamp(to, 'now')}.csv`;
}

/** Flush to the socket once this much text is buffered: few writes, bounded memory. */
const CHUNK_CHARS = 64 * 1024;

/** Resolves when the socket wants more data, or is gone. */
const drained = (res: Response) =>
  new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });

/**
 * Streams rows as a CSV attachment. Respects backpressure: when the socket's buffer is full it
 * waits for `drain` before pulling the next rows from the cursor, so memory stays flat whatever
 * the row count. A client that goes away stops the cursor.
 */
export async function streamCsv(
  res: Response,
  rows: AsyncIterable<ExportRow> & { close(): Promise<void> },
  filename: string,
): Promise<number> {
  res.status(200);
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  let gone = false;
  res.on('close', () => {
    gone = true;
  });
  let count = 0;
  let chunk = `${CSV_COLUMNS.join(',')}\r\n`;
  try {
    for await (const row of rows) {
      if (gone) break;
      chunk += csvRow(row);
      count++;
      if (chunk.length >= CHUNK_CHARS) {
        const ok = res.write(chunk);
        chunk = '';
        if (!ok) await drained(res);
      }
    }
    if (!gone) res.end(chunk);
  } finally {
    await rows.close().catch(() => undefined);
  }
  return count;
}
