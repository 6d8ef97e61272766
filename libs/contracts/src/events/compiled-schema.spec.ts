import fc from 'fast-check';
import { z } from 'zod';
import { expectSameParse, mutationsOf, stringsOf } from '../../testing/schema-mutations';
import { type AnyEventContract, MEMBER_CONTRACTS_BY_TYPE, topicFixtures } from '../../testing/topic-fixtures';
import { pushRequestedV1 } from './edge-outbound.v1';

// Fixed seed and run count: the same cases every run, a few seconds in all.
const SEED = 20261207;
const RUNS_PER_FIXTURE = 300;

/** Every checked-in event of every topic, with each contract that validates it. */
const FIXTURES = topicFixtures().map(({ name, topic, event }) => {
  const member = MEMBER_CONTRACTS_BY_TYPE[event.type];
  return { name, contracts: [topic.contract as AnyEventContract, ...(member ? [member] : [])], event };
});

/** Every string of every fixture: types, enum values, AORs, timestamps, ids, put where another was. */
const FIXTURE_STRINGS = [...new Set(FIXTURES.flatMap(({ event }) => stringsOf(event)))];

describe('compiled event schemas (issue 10: the edge decodes three pushes per IM)', () => {
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
      for (const { schema, compiledSchema } of contracts) {
        expect(expectSameParse(schema, compiledSchema, event)).toBe(true);
        fc.assert(
          fc.property(mutationsOf(event, FIXTURE_STRINGS), (mutated) => {
            if (expectSameParse(schema, compiledSchema, mutated)) accepted += 1;
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
    const push = topicFixtures().find(({ event }) => event.type === 'push.requested')!.event;
    const invalid = JSON.stringify({ ...push, aor: 'tel:+15550100', body: 7 });
    const runtime = pushRequestedV1.schema.safeParse(JSON.parse(invalid));
    expect(runtime.success).toBe(false);
    expect(() => pushRequestedV1.decode(invalid)).toThrow(z.prettifyError(runtime.error!));
  });
});
