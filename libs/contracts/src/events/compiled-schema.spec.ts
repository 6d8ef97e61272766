import fc from 'fast-check';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { expectSameParse, mutationsOf, stringsOf } from '../../testing/schema-mutations';
import { TOPICS } from '../topics';
import { publishDecidedV1, pushRequestedV1, registerDecidedV1 } from './edge-outbound.v1';
import type { EventContract } from './event-contract';
import { notifyRequestedV1, subscribeDecidedV1 } from './subscription-outbound.v1';

// Fixed seed and run count: the same cases every run, a few seconds in all.
const SEED = 20261207;
const RUNS_PER_FIXTURE = 300;

type AnyEventContract = EventContract<{ v: number; type: string; at: string }>;

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
        event,
      };
    });
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
    const push = JSON.parse(
      readFileSync(join(FIXTURES_DIR, 'edge.outbound.v1', 'push-requested.json'), 'utf8'),
    ) as Record<string, unknown>;
    const invalid = JSON.stringify({ ...push, aor: 'tel:+15550100', body: 7 });
    const runtime = pushRequestedV1.schema.safeParse(JSON.parse(invalid));
    expect(runtime.success).toBe(false);
    expect(() => pushRequestedV1.decode(invalid)).toThrow(z.prettifyError(runtime.error!));
  });
});
