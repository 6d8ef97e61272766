import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ContractError } from './contract-error';
import { DEVICE_ID_MAX_LENGTH, DeviceIdSchema, LaterEnumValueSchema } from './events/common';
import { pushOutcomeByOriginV1 } from './events/sip-push-outcome-by-origin.v1';
import { registerRequestedV1, SIP_REGISTER_REQUESTED_V1 } from './events/sip-register-requested.v1';
import { type TopicDescription, TOPICS } from './topics';

const FIXTURES_DIR = join(__dirname, '..', 'fixtures');

/** `edge.{edgeId}.outbound.v1` keeps its fixtures under `edge.outbound.v1`. */
function fixtureDirOf(topic: string): string {
  return join(FIXTURES_DIR, topic.replace('.{edgeId}', ''));
}

function fixturesOf(topic: string): Array<{ name: string; json: string }> {
  const dir = fixtureDirOf(topic);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .map((file) => ({ name: file, json: readFileSync(join(dir, file), 'utf8') }));
}

describe.each(TOPICS.map((description) => [description.topic, description] as const))(
  '%s',
  (_topic, description) => {
    const fixtures = fixturesOf(description.topic);

    it('has checked-in fixtures for every event type it carries', () => {
      const types = new Set(fixtures.map(({ json }) => (JSON.parse(json) as { type: string }).type));
      expect([...types].sort()).toEqual([...description.eventTypes].sort());
    });

    it.each(fixtures.map((fixture) => [fixture.name, fixture.json]))('still decodes %s', (_name, json) => {
      expect(description.contract.decode(json)).toEqual(JSON.parse(json));
    });

    it.each(fixtures.map((fixture) => [fixture.name, fixture.json]))('round-trips %s', (_name, json) => {
      const event = description.contract.decode(Buffer.from(json));
      expect(description.contract.decode(description.contract.encode(event))).toEqual(event);
    });

    it.each(fixtures.map((fixture) => [fixture.name, fixture.json]))(
      'tolerates unknown fields in %s (forward compatibility)',
      (_name, json) => {
        const newer = { ...JSON.parse(json), addedInALaterRelease: { nested: [1, 2] } };
        expect(description.contract.decode(JSON.stringify(newer))).toEqual(JSON.parse(json));
      },
    );

    it('rejects a payload missing a required field with CONTRACT_INVALID_PAYLOAD', () => {
      const withoutTimestamp: Record<string, unknown> = JSON.parse(fixtures[0].json);
      delete withoutTimestamp['at'];
      expect(() => description.contract.decode(JSON.stringify(withoutTimestamp))).toThrow(
        expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD', name: 'ContractError' }),
      );
    });

    it('rejects malformed JSON with CONTRACT_MALFORMED_JSON', () => {
      expect(() => description.contract.decode('{"v":1,')).toThrow(ContractError);
      expect(() => description.contract.decode('{"v":1,')).toThrow(
        expect.objectContaining({ code: 'CONTRACT_MALFORMED_JSON' }),
      );
    });

    it('keys every fixture by an AOR', () => {
      for (const { json } of fixtures) {
        expect(description.contract.key(description.contract.decode(json))).toMatch(/^sips?:[^@]+@/);
      }
    });
  },
);

describe('sip.register-requested.v1: a +sip.instance is bounded like the device id it becomes', () => {
  const [fixture] = fixturesOf(SIP_REGISTER_REQUESTED_V1).filter(
    ({ name }) => name === 'first-register.json',
  );
  const withInstance = (instanceId: string): string => {
    const event = JSON.parse(fixture!.json) as { contacts: Array<Record<string, unknown>> };
    event.contacts[0]!['instanceId'] = instanceId;
    return JSON.stringify(event);
  };

  it('decodes an instance id of DEVICE_ID_MAX_LENGTH characters, which DeviceIdSchema takes too', () => {
    const longest = 'i'.repeat(DEVICE_ID_MAX_LENGTH);
    expect(registerRequestedV1.decode(withInstance(longest)).contacts[0]?.instanceId).toBe(longest);
    expect(DeviceIdSchema.safeParse(longest).success).toBe(true);
  });

  it('rejects one longer, which would register a device no command event could name', () => {
    expect(() => registerRequestedV1.decode(withInstance('i'.repeat(DEVICE_ID_MAX_LENGTH + 1)))).toThrow(
      expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD' }),
    );
    expect(() => registerRequestedV1.decode(withInstance(''))).toThrow(
      expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD' }),
    );
  });
});

/** The fields of the event `type` carries on a topic that are open enums (openEnum). */
function openEnumFields(description: TopicDescription, type: string): string[] {
  const schema = description.contract.schema;
  const member =
    schema instanceof z.ZodDiscriminatedUnion
      ? (schema.options as z.ZodType[]).find(
          (option) => option instanceof z.ZodObject && option.shape['type']?.def.values?.[0] === type,
        )
      : schema;
  if (!(member instanceof z.ZodObject)) throw new Error(`${description.topic}: no object schema for ${type}`);
  return Object.entries(member.shape as Record<string, z.ZodType>)
    .filter(([, field]) => field instanceof z.ZodUnion && field.options.includes(LaterEnumValueSchema))
    .map(([name]) => name);
}

/** Every (topic, fixture, open enum field) of the checked-in fixtures. */
const OPEN_ENUM_CASES = TOPICS.flatMap((description) =>
  fixturesOf(description.topic).flatMap(({ name, json }) =>
    openEnumFields(description, (JSON.parse(json) as { type: string }).type).map(
      (field) => [description.topic, name, field, description, json] as const,
    ),
  ),
);

describe('enums that grow (docs/adding-a-consumer.md): a decoder of an older release and a value of a later one', () => {
  it('has exactly the documented open enums', () => {
    const open = [...new Set(OPEN_ENUM_CASES.map(([topic, , field]) => `${topic} ${field}`))].sort();
    expect(open).toEqual([
      'auth.device-registered.v1 transport',
      'auth.device-unregistered.v1 reason',
      'auth.session-ended.v1 reason',
    ]);
  });

  it.each(
    OPEN_ENUM_CASES.map(([topic, name, field, description, json]) => [topic, name, field, description, json]),
  )(
    '%s: decodes %s with a %s a later release added, keeping it',
    (_topic, _name, field, description, json) => {
      const newer = { ...JSON.parse(json), [field]: 'added-in-a-later-release' };
      expect(description.contract.decode(JSON.stringify(newer))).toEqual(newer);
    },
  );

  it.each(
    OPEN_ENUM_CASES.map(([topic, name, field, description, json]) => [topic, name, field, description, json]),
  )(
    '%s: still refuses in %s a %s that no release sends (not a lowercase token)',
    (_topic, _name, field, description, json) => {
      for (const value of ['', 'Superseded', 'edge lost', 'x'.repeat(65), 7, null]) {
        const wrong = { ...JSON.parse(json), [field]: value };
        expect(() => description.contract.decode(JSON.stringify(wrong))).toThrow(
          expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD' }),
        );
      }
    },
  );

  it('refuses a value a closed enum does not know: a push outcome the consumer could not settle', () => {
    const [fixture] = fixturesOf('sip.push-outcome.im-router.v1');
    const unknown = { ...JSON.parse(fixture!.json), outcome: 'bounced' };
    expect(() => pushOutcomeByOriginV1['im-router'].decode(JSON.stringify(unknown))).toThrow(
      expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD' }),
    );
  });
});
