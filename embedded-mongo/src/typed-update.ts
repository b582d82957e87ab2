/**
 * Update operators whose result depends on BSON number types, done here rather than by mingo:
 * `$inc` and `$mul` always (int32 overflow widens to int64, int64 overflow is refused, a double
 * stays a double even when whole, a missing field takes the operand's type), `$max`/`$min`
 * when a kept wrapper takes part (mingo would compare it as an object).
 *
 * mingo still resolves where they apply (dotted, `$`, `$[]`, `$[id]` paths, creating missing
 * fields in its order) and detects conflicts: each such path goes to it as `$set` of a Slot,
 * and once it has run each Slot is replaced by the value computed from the document as it
 * was. Operators that compare stored values with each other (`$addToSet`, `$pull`, …) and
 * positional filters are refused (NotImplemented) on fields holding kept wrappers.
 */
import type { Document } from 'bson';
import { bsonTypeName, cloneDocument, isPlainObject } from './bson-values.ts';
import { ErrorCode, fail } from './errors.ts';
import { arithmetic, failOverflow, numberKind } from './number-arith.ts';
import { hasTypedNumbers, isTypedNumber, plainNumbers } from './numbers.ts';
import { compareValues } from './sorted-keys.ts';

class Slot {
  constructor(
    readonly op: string,
    readonly path: string,
    readonly operand: unknown,
  ) {}
}

/** The modifier for mingo, and a function that fills in the slots after mingo has run. */
export interface TypedUpdate {
  modifier: Document;
  finish(doc: Document): void;
}

const notSupported = (what: string, path: string): never =>
  fail(
    ErrorCode.NotImplemented,
    `${what} on values holding whole-number doubles or 64-bit integers is not supported by the embedded server (field '${path}')`,
  );

/** Paths whose array elements are picked by a filter (`$`, `$[id]`); `$[]` compares nothing. */
const FILTERED_POSITION = /(^|\.)\$(\.|$)|\$\[[^\]]+\]/;

function checkOperands(op: string, fields: Document): void {
  for (const [path, operand] of Object.entries(fields)) {
    const kind = numberKind(operand);
    if (kind === null) {
      const verb = op === '$inc' ? 'increment' : 'multiply';
      fail(ErrorCode.TypeMismatch, `Cannot ${verb} with non-numeric argument: {${path}: ${JSON.stringify(operand)}}`);
    }
    if (kind === 'decimal') notSupported(`${op} with a Decimal128`, path);
  }
}

/**
 * Refuses what mingo would compare wrongly: array elements picked by a filter, or operators
 * comparing values, on a field holding wrappers; wrappers in the values such operators add.
 */
function checkComparisons(op: string, fields: Document, original: Document): void {
  const typedField = (path: string) => hasTypedNumbers(original[path.split('.')[0] as string]);
  for (const [path, value] of Object.entries(fields)) {
    const sorts = op === '$push' && isPlainObject(value) && '$sort' in value;
    const compares = op === '$addToSet' || op === '$pull' || op === '$pullAll' || op === '$bit' || sorts;
    if ((compares || FILTERED_POSITION.test(path)) && typedField(path)) notSupported(op, path);
    if ((op === '$addToSet' || op === '$bit' || sorts) && hasTypedNumbers(value)) notSupported(op, path);
  }
}

/** Plans an operator update of `original` (the document before the update). */
export function planTypedUpdate(original: Document, modifier: Document): TypedUpdate {
  const out: Document = {};
  const slots: Slot[] = [];
  const setOf = (): Document => (out.$set ??= {}) as Document;
  for (const [op, fields] of Object.entries(modifier) as Array<[string, Document]>) {
    if (op === '$inc' || op === '$mul') checkOperands(op, fields);
    checkComparisons(op, fields, original);
    const typed =
      (op === '$max' || op === '$min') && Object.entries(fields).some(([p, v]) => involvesTyped(original, p, v));
    if (op !== '$inc' && op !== '$mul' && !typed && op !== '$set') {
      // `$pull`/`$pullAll` only compare their operands: mingo gets them as JS numbers.
      out[op] = op === '$pull' || op === '$pullAll' ? plainNumbers(fields) : fields;
      continue;
    }
    const set = setOf();
    for (const [path, value] of Object.entries(fields)) {
      if (path in set)
        fail(ErrorCode.ConflictingUpdateOperators, `Updating the path '${path}' would create a conflict at '${path}'`);
      if (op === '$set') set[path] = value;
      else slots.push((set[path] = new Slot(op, path, value)));
    }
  }
  return {
    modifier: out,
    finish: (doc) => {
      if (slots.length) fillSlots(doc, original, slots);
    },
  };
}

function involvesTyped(original: Document, path: string, operand: unknown): boolean {
  return isTypedNumber(operand) || hasTypedNumbers(original[path.split('.')[0] as string]);
}

/** Replaces every Slot mingo placed by its value; a plain path it could not place is not viable. */
function fillSlots(doc: Document, original: Document, slots: Slot[]): void {
  const placed = new Set<Slot>();
  const visit = (container: Document | unknown[], key: string | number, path: Array<string | number>): void => {
    const v = (container as Document)[key];
    if (v instanceof Slot) {
      placed.add(v);
      (container as Document)[key] = compute(v, valueAt(original, path), original);
    } else if (Array.isArray(v)) v.forEach((_el, i) => visit(v, i, [...path, i]));
    else if (isPlainObject(v)) for (const k of Object.keys(v)) visit(v, k, [...path, k]);
  };
  for (const k of Object.keys(doc)) visit(doc, k, [k]);
  for (const slot of slots) {
    if (!placed.has(slot) && !slot.path.includes('$')) notViable(original, slot.path);
  }
}

function valueAt(doc: unknown, path: Array<string | number>): unknown {
  let cur = doc;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Document)[key];
  }
  return cur;
}

function compute(slot: Slot, current: unknown, original: Document): unknown {
  const { op, operand } = slot;
  if (op === '$max' || op === '$min') {
    if (current === undefined) return cloneDocument(operand);
    const c = compareValues(operand, current);
    return (op === '$max' ? c > 0 : c < 0) ? cloneDocument(operand) : current;
  }
  if (current === undefined) return op === '$inc' ? operand : arithmetic('$mul', 0, operand);
  const kind = numberKind(current);
  if (kind === null) {
    fail(
      ErrorCode.TypeMismatch,
      `Cannot apply ${op} to a value of non-numeric type. {_id: ${JSON.stringify(original._id)}} has the field '${slot.path}' of non-numeric type ${bsonTypeName(current)}`,
    );
  }
  if (kind === 'decimal') notSupported(`${op} of a Decimal128`, slot.path);
  return arithmetic(op as '$inc' | '$mul', current, operand) ?? failOverflow(op, current, original);
}

/** mongod's PathNotViable (28) for a path through a scalar or through an array by name. */
function notViable(original: Document, path: string): never {
  const parts = path.split('.');
  let cur: unknown = original;
  let i = 0;
  while (i < parts.length && isPlainObject(cur)) cur = (cur as Document)[parts[i++] as string];
  const element = `{${parts[i - 1] ?? ''}: ${JSON.stringify(cur)}}`;
  return fail(ErrorCode.PathNotViable, `Cannot create field '${parts[i] ?? path}' in element ${element}`);
}
