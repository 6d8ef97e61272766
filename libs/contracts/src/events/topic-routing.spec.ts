import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMAND_TYPES } from '../client/commands';
import type { Origin } from './common';
import { commandReceivedV1, type CommandReceivedV1 } from './sip-command-received.v1';
import {
  COMMAND_OWNERS,
  COMMAND_RECEIVED_V1_TOPICS,
  type CommandOwner,
  commandOwnerOf,
  commandReceivedByOwnerV1,
  routedCommandRecordV1,
} from './sip-command-received-by-owner.v1';
import { pushOutcomeV1, type PushOutcomeV1 } from './sip-push-outcome.v1';
import {
  PUSH_OUTCOME_V1_TOPICS,
  pushOutcomeByOriginV1,
  routedPushOutcomeRecordV1,
} from './sip-push-outcome-by-origin.v1';

const FIXTURES_DIR = join(__dirname, '..', '..', 'fixtures');
const OWNERS = Object.keys(COMMAND_RECEIVED_V1_TOPICS) as CommandOwner[];
const ORIGINS = Object.keys(PUSH_OUTCOME_V1_TOPICS) as Origin[];

/** Every fixture of the given topics' directories, as `[topic/file, json]`. */
function fixturesOf(topics: readonly string[]): Array<[string, string]> {
  return topics.flatMap((topic) =>
    readdirSync(join(FIXTURES_DIR, topic))
      .filter((file) => file.endsWith('.json'))
      .map((file): [string, string] => [
        `${topic}/${file}`,
        readFileSync(join(FIXTURES_DIR, topic, file), 'utf8'),
      ]),
  );
}

const commandFixtures = fixturesOf(['sip.command-received.v1', ...Object.values(COMMAND_RECEIVED_V1_TOPICS)]);
const outcomeFixtures = fixturesOf(['sip.push-outcome.v1', ...Object.values(PUSH_OUTCOME_V1_TOPICS)]);

describe('command ownership', () => {
  it('gives every command type of the envelope exactly the owner of the table', () => {
    for (const type of COMMAND_TYPES) {
      expect(commandOwnerOf(type)).toBe(COMMAND_OWNERS[type]);
    }
    expect(
      Object.fromEntries(
        OWNERS.map((owner) => [owner, COMMAND_TYPES.filter((t) => commandOwnerOf(t) === owner)]),
      ),
    ).toEqual({
      auth: ['login', 'logout', 'profile.get', 'profile.set'],
      presence: [
        'roster.get',
        'roster.add',
        'buddy.answer',
        'roster.update',
        'roster.remove',
        'presence.set',
      ],
      'im-router': ['im.send'],
    });
  });

  it('sends a type nobody owns to auth, which answers unknown-type', () => {
    expect(commandOwnerOf('call.start')).toBe('auth');
    expect(commandOwnerOf('toString')).toBe('auth');
  });

  it('names each owner its own versioned topic', () => {
    expect(COMMAND_RECEIVED_V1_TOPICS).toEqual({
      auth: 'sip.command-received.auth.v1',
      presence: 'sip.command-received.presence.v1',
      'im-router': 'sip.command-received.im-router.v1',
    });
    expect(PUSH_OUTCOME_V1_TOPICS).toEqual({
      auth: 'sip.push-outcome.auth.v1',
      presence: 'sip.push-outcome.presence.v1',
      'im-router': 'sip.push-outcome.im-router.v1',
    });
  });
});

describe.each(commandFixtures)('command %s', (_name, json) => {
  const event: CommandReceivedV1 = JSON.parse(json);
  const owner = commandOwnerOf(event.envelope.type);

  it("decodes, as an edge of the previous release encoded it, under its owner's topic contract", () => {
    expect(commandReceivedByOwnerV1[owner].decode(commandReceivedV1.encode(event))).toEqual(event);
  });

  it("is published on its owner's topic, keyed by the sender, in the payload the legacy topic carries", () => {
    const record = routedCommandRecordV1(event);
    expect(record.topic).toBe(COMMAND_RECEIVED_V1_TOPICS[owner]);
    expect(record.key).toBe(event.aor);
    expect(commandReceivedV1.decode(record.value)).toEqual(event);
  });

  it("breaks every other owner's topic contract, naming the topic it belongs on", () => {
    for (const other of OWNERS.filter((o) => o !== owner)) {
      const contract = commandReceivedByOwnerV1[other];
      expect(() => contract.decode(json)).toThrow(
        expect.objectContaining({
          code: 'CONTRACT_INVALID_PAYLOAD',
          message: expect.stringContaining(COMMAND_RECEIVED_V1_TOPICS[owner]),
        }),
      );
      // record() trusts the typed event (issue 10): written to the wrong topic anyway, the
      // consumer's decode still refuses it, so a mis-routed record is never acted on.
      expect(() => contract.decode(contract.record(event).value)).toThrow(
        expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD' }),
      );
    }
  });
});

describe.each(outcomeFixtures)('push outcome %s', (_name, json) => {
  const event: PushOutcomeV1 = JSON.parse(json);

  it("decodes, as an edge of the previous release encoded it, under its origin's topic contract", () => {
    expect(pushOutcomeByOriginV1[event.origin].decode(pushOutcomeV1.encode(event))).toEqual(event);
  });

  it("is published on its origin's topic, keyed by the target, in the payload the legacy topic carries", () => {
    const record = routedPushOutcomeRecordV1(event);
    expect(record.topic).toBe(PUSH_OUTCOME_V1_TOPICS[event.origin]);
    expect(record.key).toBe(event.aor);
    expect(pushOutcomeV1.decode(record.value)).toEqual(event);
  });

  it("breaks every other origin's topic contract, naming the topic it belongs on", () => {
    for (const other of ORIGINS.filter((o) => o !== event.origin)) {
      const contract = pushOutcomeByOriginV1[other];
      expect(() => contract.decode(json)).toThrow(
        expect.objectContaining({
          code: 'CONTRACT_INVALID_PAYLOAD',
          message: expect.stringContaining(PUSH_OUTCOME_V1_TOPICS[event.origin]),
        }),
      );
      // record() trusts the typed event (issue 10): written to the wrong topic anyway, the
      // consumer's decode still refuses it, so a mis-routed record is never acted on.
      expect(() => contract.decode(contract.record(event).value)).toThrow(
        expect.objectContaining({ code: 'CONTRACT_INVALID_PAYLOAD' }),
      );
    }
  });
});

it('has fixtures of every owner and every origin', () => {
  const owners = new Set(commandFixtures.map(([, json]) => commandOwnerOf(JSON.parse(json).envelope.type)));
  const origins = new Set(outcomeFixtures.map(([, json]) => (JSON.parse(json) as PushOutcomeV1).origin));
  expect([...owners].sort()).toEqual([...OWNERS].sort());
  expect([...origins].sort()).toEqual([...ORIGINS].sort());
});
