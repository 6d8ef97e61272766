// The wire types of protocol.md, taken from libs/contracts (types only: nothing of zod reaches a bundle).
import type { z } from 'zod';
import type { COMMAND_SCHEMAS, CommandType } from '../../contracts/src/client/commands';
import type {
  BuddyRequestPush,
  ImPush,
  ImStatusPush,
  PresencePush,
  ProfilePush,
  ResultFields,
  ResultPush,
  RosterPush,
} from '../../contracts/src/client/pushes';

export type { CommandType } from '../../contracts/src/client/commands';
export type { DeviceStatus, VisibleStatus } from '../../contracts/src/client/fields';
export type { ErrorCode, ResultError } from '../../contracts/src/client/errors';
export type {
  BuddyRequestPush,
  ImPush,
  ImStatusPush,
  PresencePush,
  Profile,
  ProfilePush,
  ResultPush,
  RosterBuddy,
  RosterPush,
} from '../../contracts/src/client/pushes';

export { ENVELOPE_CONTENT_TYPE, LIMITS, PROTOCOL_VERSION } from '../../contracts/src/client/wire-constants';

type Known<T> = {
  [K in keyof T as string extends K ? never : K extends 'v' | 'id' | 'type' ? never : K]: T[K];
};
/** What a caller gives for a command of type `T` (its fields without `v`, `id`, `type`). */
export type CommandFields<T extends CommandType> = Known<z.input<(typeof COMMAND_SCHEMAS)[T]>>;

/** The fields of a successful `<T>.result` beyond `re` and `ok`. */
export type CommandResult<T extends CommandType> = T extends keyof ResultFields
  ? ResultFields[T]
  : Record<never, never>;

/** Pushes other than results, by type. */
export interface PushMap {
  roster: RosterPush;
  presence: PresencePush;
  'buddy.request': BuddyRequestPush;
  im: ImPush;
  'im.status': ImStatusPush;
  profile: ProfilePush;
}
export type PushType = keyof PushMap;
export const PUSH_TYPES: readonly PushType[] = [
  'roster',
  'presence',
  'buddy.request',
  'im',
  'im.status',
  'profile',
];

/** A push as received: an envelope with `id` and `type`, either a result or one of PushMap. */
export type ReceivedPush = { v: number; id: string } & (ResultPush | PushMap[PushType]);
