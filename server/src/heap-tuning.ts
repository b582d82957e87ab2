import v8 from 'node:v8';

/**
 * How far the heap may grow past its live size before the next full collection: V8's
 * `--heap-growing-percent`, which V8 reads at every collection, so it can be set at start.
 *
 * Left to itself V8 picks a factor between 1.1 and 4 from how fast collection runs against
 * the program. For the hub, whose live heap is mostly its sockets, that came out near 2.3: the
 * heap committed up to twice its live size, and the RSS per tracker in the capacity benchmark
 * was 47–58 KB (2.3–2.8× bare socket.io) with 20 KB of it live. A fixed factor keeps the
 * garbage in proportion; it costs more frequent full collections, whose marking runs beside
 * the program. 0 leaves V8's own choice. The setting is process-wide: it applies to the
 * embedded database's thread too. V8's own factor is lower where the heap limit is small (a
 * host or container of a few GB: 1.3–2), so there the default of 100 changes little.
 */
export function tuneHeap(growingPercent: number): void {
  if (growingPercent > 0) v8.setFlagsFromString(`--heap-growing-percent=${growingPercent}`);
}
