/**
 * Unit tests for the storage building blocks: journal record framing,
 * index key canonicalisation and naming, the ordered index view, and
 * time-zone helpers.
 */
import { Decimal128, Long, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { indexedValues, valueKey } from '../src/bson-values.ts';
import { defaultIndexName, normalizeIndexSpec } from '../src/index-spec.ts';
import { encodeRecord, scanRecords } from '../src/journal-format.ts';
import { compareValues, SortedKeys, type KeyRange, type SortedEntry } from '../src/sorted-keys.ts';
import { fromLocalMs, parseTimezone, toLocalMs } from '../src/time-zone.ts';

describe('journal record framing', () => {
  const records = [
    { op: 'ins', doc: { _id: 1, s: 'x' } },
    { op: 'del', id: new ObjectId() },
    { op: 'upd', doc: { _id: 2, d: new Date(5) } },
  ];
  const file = Buffer.concat(records.map(encodeRecord));

  it('reads back every record', () => {
    const scan = scanRecords(file);
    expect(scan.problem).toBeUndefined();
    expect(scan.validBytes).toBe(file.length);
    expect(scan.records).toEqual(records);
  });

  it('stops at a torn tail and reports how much is valid', () => {
    const cut = file.subarray(0, file.length - 3);
    const scan = scanRecords(cut);
    expect(scan.records).toHaveLength(2);
    expect(scan.problem).toMatch(/truncated record/);
    expect(scan.validBytes).toBe(encodeRecord(records[0]!).length + encodeRecord(records[1]!).length);
  });

  it('detects a flipped bit through the CRC', () => {
    const corrupt = Buffer.from(file);
    corrupt[encodeRecord(records[0]!).length + 12]! ^= 0x01;
    const scan = scanRecords(corrupt);
    expect(scan.records).toHaveLength(1);
    expect(scan.problem).toMatch(/checksum mismatch/);
  });

  it('rejects absurd lengths and a short header', () => {
    expect(scanRecords(Buffer.from([1, 2, 3])).problem).toMatch(/header/);
    expect(scanRecords(Buffer.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])).problem).toMatch(/invalid record length/);
  });
});

describe('index keys', () => {
  it('canonical keys follow MongoDB equality', () => {
    const id = new ObjectId();
    expect(valueKey(id)).toBe(valueKey(new ObjectId(id.toHexString())));
    expect(valueKey(1)).toBe(valueKey(1.0));
    expect(valueKey(Long.fromString('9007199254740993'))).toBe(valueKey(Long.fromString('9007199254740993')));
    expect(valueKey(null)).toBe(valueKey(undefined));
    expect(valueKey('1')).not.toBe(valueKey(1));
    expect(valueKey({ a: 1, b: 2 })).not.toBe(valueKey({ b: 2, a: 1 }));
    expect(valueKey(['ab', 'c'])).not.toBe(valueKey(['a', 'bc']));
    expect(valueKey(Decimal128.fromString('1.5'))).toBe(valueKey(Decimal128.fromString('1.5')));
  });

  it('multikey extraction fans out over arrays and maps missing to null', () => {
    const doc = { a: [{ b: 1 }, { b: [2, 3] }, { c: 1 }], t: ['x', 'y'], e: [] };
    expect(indexedValues(doc, 'a.b')).toEqual([1, 2, 3, undefined]);
    expect(indexedValues(doc, 't')).toEqual(['x', 'y']);
    expect(indexedValues(doc, 'missing')).toEqual([undefined]);
    expect(indexedValues(doc, 'e')).toEqual([[]]);
    expect(indexedValues(doc, 'a.0.b')).toEqual([1]);
  });

  it('names and validates specs like mongod', () => {
    expect(defaultIndexName({ tenant: 1, ts: -1 })).toBe('tenant_1_ts_-1');
    expect(normalizeIndexSpec({ key: { a: 1 }, unique: false, background: true })).toEqual({
      v: 2,
      key: { a: 1 },
      name: 'a_1',
    });
    expect(() => normalizeIndexSpec({ key: { a: 1, b: 1 }, expireAfterSeconds: 5 })).toThrow(/single-field/);
    expect(() => normalizeIndexSpec({ key: { a: 'text' } })).toThrow(/index key pattern/);
    expect(() => normalizeIndexSpec({ key: { a: 1 }, sparse: true, partialFilterExpression: { a: 1 } })).toThrow(
      /cannot mix/,
    );
  });
});

describe('time zones', () => {
  it('parses offsets and Olson names, rejects unknown ones', () => {
    expect(toLocalMs(parseTimezone('+05:30'), 0)).toBe(5.5 * 3600_000);
    expect(toLocalMs(parseTimezone('-0800'), 0)).toBe(-8 * 3600_000);
    expect(toLocalMs(parseTimezone('+03'), 0)).toBe(3 * 3600_000);
    expect(() => parseTimezone('Mars/Olympus')).toThrow(/unrecognized time zone/);
  });

  it('converts local wall-clock time back to UTC across DST', () => {
    const ny = parseTimezone('America/New_York');
    for (const iso of [
      '2024-03-10T05:00:00Z',
      '2024-03-10T12:00:00Z',
      '2024-11-03T04:00:00Z',
      '2024-11-03T12:00:00Z',
    ]) {
      const utc = Date.parse(iso);
      expect(fromLocalMs(ny, toLocalMs(ny, utc))).toBe(utc);
    }
  });
});

describe('ordered index view', () => {
  it('answers ranges like a brute-force filter through adds, removes and compactions', () => {
    let seed = 1;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const live = new Map<string, SortedEntry>();
    const entry = (id: string, a: unknown, b: unknown): SortedEntry => ({
      full: valueKey(a) + valueKey(b),
      values: [a, b],
      id,
    });
    for (let i = 0; i < 300; i++) live.set(`i${i}`, entry(`i${i}`, Math.floor(rand() * 5), Math.floor(rand() * 100)));
    const view = new SortedKeys([...live.values()]);
    const pickValue = (): unknown =>
      [null, 'str', Math.floor(rand() * 100), new Date(Math.floor(rand() * 100))][Math.floor(rand() * 4)];
    for (let step = 0; step < 3000; step++) {
      const id = `i${Math.floor(rand() * 400)}`;
      const old = live.get(id);
      if (old) {
        view.remove(old);
        live.delete(id);
      }
      if (rand() < 0.7) {
        const e = entry(id, Math.floor(rand() * 5), rand() < 0.8 ? Math.floor(rand() * 100) : pickValue());
        view.add(e);
        live.set(id, e);
      }
      if (step % 50 === 0) {
        const range: KeyRange = {
          eq: [Math.floor(rand() * 5)],
          low: { value: 20, inclusive: rand() < 0.5 },
          high: { value: 60, inclusive: rand() < 0.5 },
        };
        const expected = [...live.values()]
          .filter((e) => compareValues(e.values[0], range.eq[0]) === 0)
          .filter((e) => {
            const lo = compareValues(e.values[1], range.low!.value);
            const hi = compareValues(e.values[1], range.high!.value);
            return (lo > 0 || (lo === 0 && range.low!.inclusive)) && (hi < 0 || (hi === 0 && range.high!.inclusive));
          })
          .map((e) => e.id)
          .sort();
        expect(view.query(range)?.sort(), `step ${step}`).toEqual(expected);
        // With a limit below the answer's size, the read gives up instead of answering.
        if (expected.length > 0) expect(view.query(range, expected.length - 1)).toBeNull();
      }
    }
  });

  it('orders values across BSON types like MongoDB', () => {
    const sorted = ['b', 2, null, new Date(0), true, { a: 1 }, [1], 1.5, new ObjectId()].sort(compareValues);
    expect(
      sorted.map((v) =>
        v === null
          ? 'null'
          : Array.isArray(v)
            ? 'array'
            : v instanceof Date
              ? 'date'
              : typeof v === 'object' && '_bsontype' in (v as object)
                ? 'oid'
                : typeof v,
      ),
    ).toEqual(['null', 'number', 'number', 'string', 'object', 'array', 'oid', 'boolean', 'date']);
  });
});
