import type { CliCommand } from '../command';
import { ACCOUNT_COMMANDS } from './accounts';
import { BAN_COMMANDS } from './bans';
import { DEVICE_COMMANDS } from './devices';
import { ROSTER_COMMANDS } from './rosters';
import { STATS_COMMANDS } from './stats';

/** Every command of `herald`, in the order the help lists them. */
export const COMMANDS: readonly CliCommand[] = [
  ...ACCOUNT_COMMANDS,
  ...DEVICE_COMMANDS,
  ...ROSTER_COMMANDS,
  ...STATS_COMMANDS,
  ...BAN_COMMANDS,
];
