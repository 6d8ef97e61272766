import fc from 'fast-check';
import { z } from 'zod';

/**
 * Values near a valid one, for property tests that bind a schema zod compiled (`z.compile`) to its
 * runtime parser: the two must accept and reject the same values, with the same output and issues.
 */

type Path = ReadonlyArray<string | number>;
/** Stands for "remove this key" in a mutation. */
const REMOVED = Symbol('removed');

/** Every string inside `value`: put where another string stood, they try types, enum values, AORs, timestamps, ids. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** The path of every value inside `value` (not the root). */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const entries: Array<[string | number, unknown]> = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : value !== null && typeof value === 'object'
      ? Object.entries(value)
      : [];
  return entries.flatMap(([key, item]) => [[...prefix, key], ...pathsOf(item, [...prefix, key])]);
}

function valueAt(value: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], value);
}

/** A copy of `value` with the value at `path` replaced (or its key removed). */
function withValueAt(value: unknown, path: Path, replacement: unknown): unknown {
  const [key, ...rest] = path;
  const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
    string | number,
    unknown
  >;
  if (rest.length > 0) copy[key] = withValueAt(copy[key], rest, replacement);
  else if (replacement === REMOVED) delete copy[key];
  else copy[key] = replacement;
  return copy;
}

/** Lengths just below, at and above the limits the schemas set (64, 128, 256, 1,024 characters). */
const BOUNDARY_LENGTHS = [1, 2, 63, 64, 65, 127, 128, 129, 255, 256, 257, 1023, 1024, 1025];

/** What may stand where `current` stood: near misses of it, values of other kinds, or nothing. */
function replacementFor(current: unknown, strings: readonly string[]): fc.Arbitrary<unknown> {
  const anyKind = fc.oneof(
    fc.constantFrom<unknown>(REMOVED, undefined, null, true, false, 0, -1, 1, 1.5, 3600, 70000, '', [], {}),
    fc.constantFrom(...strings),
    fc.jsonValue(),
  );
  if (typeof current === 'string') {
    return fc.oneof(
      anyKind,
      fc.constantFrom(...BOUNDARY_LENGTHS).map((length) => current.padEnd(length, 'a').slice(0, length)),
      fc
        .tuple(fc.nat(current.length), fc.constantFrom(';', '@', ' ', '?', '\r\n', 'é', 'Z', '+01:00', '.'))
        .map(([at, text]) => current.slice(0, at) + text + current.slice(at)),
      fc.nat(Math.max(0, current.length - 1)).map((at) => current.slice(0, at) + current.slice(at + 1)),
      fc.constant(current.toUpperCase()),
      fc.string(),
    );
  }
  if (typeof current === 'number') {
    return fc.oneof(anyKind, fc.integer(), fc.double(), fc.constant(current + 1), fc.constant(current - 1));
  }
  if (current !== null && typeof current === 'object') {
    return fc.oneof(
      anyKind,
      fc
        .tuple(fc.string({ maxLength: 12 }), fc.jsonValue())
        .map(([key, extra]) => ({ ...current, [key]: extra })),
    );
  }
  return anyKind;
}

/** One replacement at a random place of `value`. */
function oneMutationOf(value: unknown, strings: readonly string[]): fc.Arbitrary<unknown> {
  return fc
    .constantFrom(...pathsOf(value))
    .chain((path) =>
      replacementFor(valueAt(value, path), strings).map((next) => withValueAt(value, path, next)),
    );
}

/**
 * `valid` with one or two replacements (strings from `strings` among them), or an unknown key:
 * mostly invalid, sometimes still valid; or any JSON value at all.
 */
export function mutationsOf(valid: object, strings: readonly string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    oneMutationOf(valid, strings),
    oneMutationOf(valid, strings).chain((once) =>
      pathsOf(once).length > 0 ? oneMutationOf(once, strings) : fc.constant(once),
    ),
    fc.tuple(fc.string({ maxLength: 12 }), fc.jsonValue()).map(([key, extra]) => ({
      ...valid,
      [key]: extra,
    })),
    fc.jsonValue(),
  );
}

/**
 * `compiled` (z.compile of `schema`) accepts what the runtime parser of `schema` accepts, with the
 * same output, and rejects the rest with the same issues; returns whether `value` was accepted.
 */
export function expectSameParse(schema: z.ZodType, compiled: z.ZodType, value: unknown): boolean {
  const runtime = schema.safeParse(value);
  const fast = compiled.safeParse(value);
  expect(fast.success).toBe(runtime.success);
  if (runtime.success) {
    expect(fast.data).toStrictEqual(runtime.data);
    // toStrictEqual ignores key order; what the output re-encodes to does not.
    expect(JSON.stringify(fast.data)).toBe(JSON.stringify(runtime.data));
  } else {
    expect(fast.error?.issues).toEqual(runtime.error.issues);
    expect(z.prettifyError(fast.error!)).toBe(z.prettifyError(runtime.error));
  }
  return runtime.success;
}
