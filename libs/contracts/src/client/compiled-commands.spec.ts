import fc from 'fast-check';
import { z } from 'zod';
import { expectSameParse, mutationsOf, stringsOf } from '../../testing/schema-mutations';
import { COMMAND_SCHEMAS, type CommandType } from './commands';
import { EnvelopeSchema } from './envelope';
import { COMPILED_COMMAND_SCHEMAS, COMPILED_ENVELOPE_SCHEMA } from './parse-command';

// Fixed seed and run count: the same cases every run.
const SEED = 20261207;
const RUNS = 300;

/** A valid body of every command type, with every optional field present. */
const VALID: Readonly<Record<CommandType, object>> = {
  login: {
    v: 1,
    id: 'c-1',
    type: 'login',
    status: 'away',
    note: 'at lunch',
    device: { name: 'phone', agent: 'Herald/1.0' },
  },
  logout: { v: 1, id: 'c-2', type: 'logout' },
  'roster.get': { v: 1, id: 'c-3', type: 'roster.get' },
  'roster.add': {
    v: 1,
    id: 'c-4',
    type: 'roster.add',
    uri: 'sip:bob@herald.example',
    name: 'Bob',
    group: 'Work',
  },
  'buddy.answer': { v: 1, id: 'c-5', type: 'buddy.answer', from: 'sip:bob@herald.example', accept: true },
  'roster.update': {
    v: 1,
    id: 'c-6',
    type: 'roster.update',
    uri: 'sip:bob@herald.example',
    name: 'B',
    group: 'G',
  },
  'roster.remove': { v: 1, id: 'c-7', type: 'roster.remove', uri: 'sip:bob@herald.example' },
  'presence.set': { v: 1, id: 'c-8', type: 'presence.set', status: 'busy', note: 'in a call' },
  'im.send': {
    v: 1,
    id: 'c-9',
    type: 'im.send',
    to: 'sip:bob@herald.example',
    text: 'hello',
    messageId: 'm-1',
  },
  'profile.get': { v: 1, id: 'c-10', type: 'profile.get' },
  'profile.set': { v: 1, id: 'c-11', type: 'profile.set', displayName: 'Alice', settings: { theme: 'dark' } },
};

const STRINGS = [...new Set(Object.values(VALID).flatMap(stringsOf))];

describe('compiled command schemas (issue 10: the edge checks the envelope of every command)', () => {
  it.each(['envelope', ...Object.keys(COMMAND_SCHEMAS)])('%s: zod compiles the schema', (type) => {
    const schema = type === 'envelope' ? EnvelopeSchema : COMMAND_SCHEMAS[type as CommandType];
    expect(() => z.compile(schema, { strict: true })).not.toThrow();
  });

  it.each(Object.entries(VALID))(
    '%s: the compiled and the runtime parsers of the envelope and of the command agree on its mutations',
    (type, valid) => {
      const pairs: Array<[z.ZodType, z.ZodType]> = [
        [EnvelopeSchema, COMPILED_ENVELOPE_SCHEMA],
        [COMMAND_SCHEMAS[type as CommandType], COMPILED_COMMAND_SCHEMAS[type as CommandType]],
      ];
      let accepted = 0;
      let rejected = 0;
      for (const [schema, compiled] of pairs) {
        expect(expectSameParse(schema, compiled, valid)).toBe(true);
        fc.assert(
          fc.property(mutationsOf(valid, STRINGS), (mutated) => {
            if (expectSameParse(schema, compiled, mutated)) accepted += 1;
            else rejected += 1;
          }),
          { seed: SEED, numRuns: RUNS },
        );
      }
      expect(accepted).toBeGreaterThan(0);
      expect(rejected).toBeGreaterThan(0);
    },
  );
});
