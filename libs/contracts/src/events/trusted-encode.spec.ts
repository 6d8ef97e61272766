import {
  type AnyEvent,
  type AnyEventContract,
  MEMBER_CONTRACTS_BY_TYPE,
  topicFixtures,
} from '../../testing/topic-fixtures';
import { statusChangedV1 } from './presence-status-changed.v1';

const AT = new Date('2026-01-02T03:04:05.678Z');

/** Every checked-in event of every topic, with the topic's (validating) contract. */
const FIXTURES = topicFixtures().map(({ name, topic, event }) => ({ name, contract: topic.contract, event }));

/** An event without what `build` stamps (v, type, at). */
function fieldsOf(event: AnyEvent): Record<string, unknown> {
  const fields: Record<string, unknown> = { ...event };
  for (const stamped of ['v', 'type', 'at']) delete fields[stamped];
  return fields;
}

/** What the validating path writes: the schema's output, serialized. */
function validatingEncode(contract: AnyEventContract, event: unknown): Buffer {
  return Buffer.from(JSON.stringify(contract.schema.parse(event)), 'utf8');
}

describe('trusted encode (issue 10: producers do not validate their own events twice)', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))(
    '%s: encoding a decoded event writes exactly what the validating encode writes',
    (_name, { contract, event }) => {
      const decoded = contract.decode(JSON.stringify(event));
      const parse = jest.spyOn(contract.compiledSchema, 'safeParse');
      const trusted = contract.encode(decoded);
      expect(parse).not.toHaveBeenCalled();
      expect(trusted.equals(validatingEncode(contract, event))).toBe(true);
    },
  );

  it.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))(
    '%s: built with buildTrusted and encoded without validation, the validating decode accepts it unchanged',
    (_name, { contract, event }) => {
      const { at } = event;
      const fields = fieldsOf(event);
      const builder = MEMBER_CONTRACTS_BY_TYPE[event.type] ?? contract;
      const parse = jest.spyOn(contract.compiledSchema, 'safeParse');
      const built = builder.buildTrusted(fields, new Date(at));
      const value = contract.encode(built);
      expect(parse).not.toHaveBeenCalled();
      parse.mockRestore();
      // A fixture may write `at` with an offset; built events carry it in UTC.
      expect(contract.decode(value)).toEqual({ ...event, at: new Date(at).toISOString() });
    },
  );

  it.each(FIXTURES.map((fixture) => [fixture.name, fixture] as const))(
    '%s: built with build (validated once), encoded without validating again, as the validating path writes it',
    (_name, { contract, event }) => {
      const builder = MEMBER_CONTRACTS_BY_TYPE[event.type] ?? contract;
      const built = builder.build(fieldsOf(event), new Date(event.at));
      const parse = jest.spyOn(contract.compiledSchema, 'safeParse');
      const value = contract.encode(built);
      expect(parse).not.toHaveBeenCalled();
      expect(value.equals(validatingEncode(contract, built))).toBe(true);
    },
  );

  it('leaves the check of an event to its consumers: an invalid one encoded anyway is rejected on decode', () => {
    const built = statusChangedV1.build({ aor: 'sip:alice@herald.example', status: 'away' }, AT);
    const value = statusChangedV1.encode({ ...built, status: 'invisible' as 'away' });
    expect(() => statusChangedV1.decode(value)).toThrow(
      expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD', name: 'ContractError' }),
    );
  });

  it('buildTrusted stamps v, type and at like build', () => {
    const fields = { aor: 'sip:alice@herald.example', status: 'away' as const };
    expect(statusChangedV1.buildTrusted(fields, AT)).toEqual(statusChangedV1.build(fields, AT));
  });
});
