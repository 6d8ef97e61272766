import { type Command, type CommandType, isCommandType } from '../client/commands';
import { type Origin, type TopicContract, defineTopicContract } from './common';
import { type EncodedRecord } from './event-contract';
import { type CommandReceivedV1, CommandReceivedV1Schema } from './sip-command-received.v1';

/** A service that acts on client commands: the same services that request pushes. */
export type CommandOwner = Origin;

/**
 * The service that acts on each command type (architecture.md, Commands and where they go): the
 * edge publishes a command to its owner's topic only, so no service decodes another's commands.
 */
export const COMMAND_OWNERS = {
  login: 'auth',
  logout: 'auth',
  'profile.get': 'auth',
  'profile.set': 'auth',
  'roster.get': 'presence',
  'roster.add': 'presence',
  'roster.update': 'presence',
  'roster.remove': 'presence',
  'buddy.answer': 'presence',
  'presence.set': 'presence',
  'im.send': 'im-router',
} as const satisfies Record<CommandType, CommandOwner>;

/** A type nobody owns goes to auth, which answers it `unknown-type`. */
export const UNOWNED_COMMAND_OWNER = 'auth' satisfies CommandOwner;

/** The command types `O` owns, e.g. `OwnedCommandType<'im-router'>` is `'im.send'`. */
export type OwnedCommandType<O extends CommandOwner> = {
  [T in CommandType]: (typeof COMMAND_OWNERS)[T] extends O ? T : never;
}[CommandType];
/** A parsed command of a type `O` owns. */
export type OwnedCommand<O extends CommandOwner> = Extract<Command, { type: OwnedCommandType<O> }>;

/** The service that acts on an envelope `type`, known or not. */
export function commandOwnerOf(type: string): CommandOwner {
  return isCommandType(type) ? COMMAND_OWNERS[type] : UNOWNED_COMMAND_OWNER;
}

/** Whether a parsed command is one `owner` acts on (narrows it to that owner's commands). */
export function isOwnedCommand<O extends CommandOwner>(
  owner: O,
  command: Command,
): command is OwnedCommand<O> {
  return COMMAND_OWNERS[command.type] === owner;
}

/** Why `receiver` refuses a command of a type another service owns (a routing bug). */
export function notOwnedMessage(type: string, receiver: CommandOwner): string {
  return `${type} is a command of ${commandOwnerOf(type)}, not of ${receiver}`;
}

/** Whether `owner` acts on the command an event carries. */
export function isCommandFor(owner: CommandOwner, event: CommandReceivedV1): boolean {
  return commandOwnerOf(event.envelope.type) === owner;
}

export const SIP_COMMAND_RECEIVED_AUTH_V1 = 'sip.command-received.auth.v1';
export const SIP_COMMAND_RECEIVED_PRESENCE_V1 = 'sip.command-received.presence.v1';
export const SIP_COMMAND_RECEIVED_IM_ROUTER_V1 = 'sip.command-received.im-router.v1';

/** Each owner's command topic: `sip.command-received.<owner>.v1`. */
export const COMMAND_RECEIVED_V1_TOPICS = {
  auth: SIP_COMMAND_RECEIVED_AUTH_V1,
  presence: SIP_COMMAND_RECEIVED_PRESENCE_V1,
  'im-router': SIP_COMMAND_RECEIVED_IM_ROUTER_V1,
} as const satisfies Record<CommandOwner, string>;

/**
 * The sip.command-received v1 payload on one owner's topic; a command of another owner breaks
 * the contract (a routing bug, logged and counted by the consumer, never acted on).
 */
function ownerContract(owner: CommandOwner): TopicContract<CommandReceivedV1> {
  const topic = COMMAND_RECEIVED_V1_TOPICS[owner];
  return defineTopicContract({
    topic,
    schema: CommandReceivedV1Schema.check((ctx) => {
      const { type } = ctx.value.envelope;
      const actual = commandOwnerOf(type);
      if (actual !== owner) {
        ctx.issues.push({
          code: 'custom',
          input: type,
          path: ['envelope', 'type'],
          message: `${notOwnedMessage(type, owner)}: it belongs on ${COMMAND_RECEIVED_V1_TOPICS[actual]}`,
        });
      }
    }),
    version: 1,
    type: 'sip.command-received',
    key: (event) => event.aor,
  });
}

/** The command contract of each owner's topic. */
export const commandReceivedByOwnerV1: Readonly<Record<CommandOwner, TopicContract<CommandReceivedV1>>> = {
  auth: ownerContract('auth'),
  presence: ownerContract('presence'),
  'im-router': ownerContract('im-router'),
};

/** Encodes and keys a command event for its owner's topic. */
export function routedCommandRecordV1(event: CommandReceivedV1): EncodedRecord {
  return commandReceivedByOwnerV1[commandOwnerOf(event.envelope.type)].record(event);
}
