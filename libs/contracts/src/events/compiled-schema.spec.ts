import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { TOPICS } from '../topics';
import { publishDecidedV1, pushRequestedV1, registerDecidedV1 } from './edge-outbound.v1';
import type { EventContract } from './event-contract';
import { notifyRequestedV1, subscribeDecidedV1 } from './subscription-outbound.v1';

// Fixed seed and run count: the same cases every run, a few seconds in all.
const SEED = 20261207;
const RUNS_PER_FIXTURE = 300;

type AnyEventContract = EventContract<{ v: number; type: string; at: string }>;
type Path = ReadonlyArray<string | number>;
/** Stands for "remove this key" in a mutation. */
const REMOVED = Symbol('removed');

const FIXTURES_DIR = join(__dirname, '..', '..', 'fixtures');

/** The contracts a producer builds each event type of the edge's outbound topic with. */
const MEMBER_CONTRACTS: Readonly<Record<string, AnyEventContract>> = {
  'push.requested': pushRequestedV1 as unknown as AnyEventContract,
  'register.decided': registerDecidedV1 as unknown as AnyEventContract,
  'publish.decided': publishDecidedV1 as unknown as AnyEventContract,
  'subscribe.decided': subscribeDecidedV1 as unknown as AnyEventContract,
  'notify.requested': notifyRequestedV1 as unknown as AnyEventContract,
};

/** Every checked-in event of every topic, with each contract that validates it. */
const FIXTURES = TOPICS.flatMap((description) => {
  const dir = join(FIXTURES_DIR, description.topic.replace('.{edgeId}', ''));
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const event = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { type: string };
      const member = MEMBER_CONTRACTS[event.type];
      return {
        name: `${description.topic} ${file}`,
        contracts: [description.contract as AnyEventContract, ...(member ? [member] : [])],
        event: event as unknown,
      };
    });
});

/** Every string of every fixture: types, enum values, AORs, timestamps, ids, put where another was. */
const FIXTURE_STRINGS = [...new Set(FIXTURES.flatMap(({ event }) => stringsOf(event)))];

function stringsOf(value: unknown): string[] {
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
function replacementFor(current: unknown): fc.Arbitrary<unknown> {
  const anyKind = fc.oneof(
    fc.constantFrom<unknown>(REMOVED, undefined, null, true, false, 0, -1, 1, 1.5, 3600, 70000, '', [], {}),
    fc.constantFrom(...FIXTURE_STRINGS),
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
function oneMutationOf(value: unknown): fc.Arbitrary<unknown> {
  return fc
    .constantFrom(...pathsOf(value))
    .chain((path) => replacementFor(valueAt(value, path)).map((next) => withValueAt(value, path, next)));
}

/** One or two replacements, or an unknown key: mostly invalid, sometimes still valid; or any JSON value at all. */
function mutationsOf(event: unknown): fc.Arbitrary<unknown> {
  return fc.oneof(
    oneMutationOf(event),
    oneMutationOf(event).chain((once) =>
      pathsOf(once).length > 0 ? oneMutationOf(once) : fc.constant(once),
    ),
    fc.tuple(fc.string({ maxLength: 12 }), fc.jsonValue()).map(([key, extra]) => ({
      ...(event as object),
      [key]: extra,
    })),
    fc.jsonValue(),
  );
}

/** The compiled schema accepts what the runtime parser accepts, with the same output, and rejects with its issues. */
function expectSameParse(contract: AnyEventContract, value: unknown): boolean {
  const runtime = contract.schema.safeParse(value);
  const compiled = contract.compiledSchema.safeParse(value);
  expect(compiled.success).toBe(runtime.success);
  if (runtime.success) {
    expect(compiled.data).toStrictEqual(runtime.data);
    // toStrictEqual ignores key order; what the output re-encodes to does not.
    expect(JSON.stringify(compiled.data)).toBe(JSON.stringify(runtime.data));
  } else {
    expect(compiled.error?.issues).toEqual(runtime.error.issues);
    expect(z.prettifyError(compiled.error!)).toBe(z.prettifyError(runtime.error));
  }
  return runtime.success;
}

describe('compiled schemas (issue 10: the edge decodes three pushes per IM)', () => {
  const contracts = [...new Set(FIXTURES.flatMap(({ contracts }) => contracts))];

  it.each(contracts.map((contract) => [contract.name, contract] as const))(
    '%s: zod compiles the schema (a refusal would bring the runtime parser back without a word)',
    (_name, contract) => {
      expect(() => z.compile(contract.schema, { strict: true })).not.toThrow();
    },
  );

  it.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))(
    '%s: the compiled and the runtime parser agree on the event and on its mutations',
    (_name, { contracts, event }) => {
      let accepted = 0;
      let rejected = 0;
      for (const contract of contracts) {
        expect(expectSameParse(contract, event)).toBe(true);
        fc.assert(
          fc.property(mutationsOf(event), (mutated) => {
            if (expectSameParse(contract, mutated)) accepted += 1;
            else rejected += 1;
          }),
          { seed: SEED, numRuns: RUNS_PER_FIXTURE },
        );
      }
      // Both outcomes were exercised: mutations that keep the event valid, and ones that do not.
      expect(accepted).toBeGreaterThan(0);
      expect(rejected).toBeGreaterThan(0);
    },
  );

  it('decode reports an invalid event with the runtime parser message', () => {
    const push = JSON.parse(
      readFileSync(join(FIXTURES_DIR, 'edge.outbound.v1', 'push-requested.json'), 'utf8'),
    ) as Record<string, unknown>;
    const invalid = JSON.stringify({ ...push, aor: 'tel:+15550100', body: 7 });
    const runtime = pushRequestedV1.schema.safeParse(JSON.parse(invalid));
    expect(runtime.success).toBe(false);
    expect(() => pushRequestedV1.decode(invalid)).toThrow(z.prettifyError(runtime.error!));
  });
});
