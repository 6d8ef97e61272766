import { type CliCommand, printJson } from '../command';

const buddies = (user: string | undefined, buddy: string | undefined) =>
  `/admin/rosters/${encodeURIComponent(user ?? '')}/buddies/${encodeURIComponent(buddy ?? '')}`;

export const ROSTER_COMMANDS: CliCommand[] = [
  {
    group: 'rosters',
    name: 'show',
    args: '<user>',
    summary: "a user's roster with each accepted buddy's presence",
    run: async ({ args, api, io }) =>
      printJson(io, await api.request('GET', `/admin/rosters/${encodeURIComponent(args[0] ?? '')}`)),
  },
  {
    group: 'rosters',
    name: 'pair',
    args: '<user> <buddy>',
    summary: 'make two users buddies (adds the pair or accepts a pending request); their devices are told',
    run: async ({ args, api, io }) => printJson(io, await api.request('PUT', buddies(args[0], args[1]))),
  },
  {
    group: 'rosters',
    name: 'remove',
    args: '<user> <buddy>',
    summary: 'remove the pair both ways; their devices are told',
    run: async ({ args, api, io }) => {
      await api.request('DELETE', buddies(args[0], args[1]));
      io.stdout(`removed ${args[0]} <-> ${args[1]}`);
    },
  },
];
