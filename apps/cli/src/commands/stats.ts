import { type CliCommand, printJson } from '../command';

export const STATS_COMMANDS: CliCommand[] = [
  {
    group: 'stats',
    args: '',
    summary: 'counts of accounts, registrations, sessions, rosters, offline IMs, publications, subscriptions',
    run: async ({ api, io }) => printJson(io, await api.request('GET', '/admin/stats')),
  },
];
