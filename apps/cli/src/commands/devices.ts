import { UsageError } from '../cli-error';
import { type CliCommand, type CommandContext, printJson } from '../command';

interface DevicePage {
  devices: unknown[];
  next?: string;
}

const LIST_OPTIONS = {
  user: { type: 'string', description: 'a username (alice) or an AOR (sip:alice@D)' },
  edge: { type: 'string', description: 'an edge id (HERALD_EDGE_ID)' },
  limit: { type: 'string', description: 'devices per request (1-1000, default 100)' },
} as const;

/** Lists every page of devices of a user or an edge, one JSON line each. */
function listing(resource: 'registrations' | 'sessions') {
  return async ({ options, api, io }: CommandContext): Promise<void> => {
    const { user, edge, limit } = options;
    if ((typeof user === 'string') === (typeof edge === 'string')) {
      throw new UsageError('give exactly one of --user and --edge');
    }
    let after: string | undefined;
    do {
      const query = new URLSearchParams(typeof user === 'string' ? { user } : { edge: String(edge) });
      if (typeof limit === 'string') query.set('limit', limit);
      if (after !== undefined) query.set('after', after);
      const page = await api.request<DevicePage>('GET', `/admin/${resource}?${query}`);
      page.devices.forEach((device) => printJson(io, device));
      after = page.next;
    } while (after !== undefined);
  };
}

/** Kicks every device of a user, or the one named; prints each device kicked. */
function kick(resource: 'registrations' | 'sessions') {
  return async ({ args, api, io }: CommandContext): Promise<void> => {
    const [user, deviceId] = args.map(encodeURIComponent);
    const path = `/admin/${resource}/${user}${deviceId === undefined ? '' : `/${deviceId}`}`;
    const { kicked } = await api.request<{ kicked: unknown[] }>('DELETE', path);
    kicked.forEach((device) => printJson(io, device));
  };
}

export const DEVICE_COMMANDS: CliCommand[] = [
  {
    group: 'registrations',
    name: 'list',
    args: '',
    summary: 'registered devices of a user or an edge (with their sessions), one JSON line each',
    options: LIST_OPTIONS,
    run: listing('registrations'),
  },
  {
    group: 'registrations',
    name: 'kick',
    args: '<user> [deviceId]',
    summary: "unregister a user's devices (or one): announced as an unREGISTER, watchers see them offline",
    run: kick('registrations'),
  },
  {
    group: 'sessions',
    name: 'list',
    args: '',
    summary: 'logged-in devices of a user or an edge, one JSON line each',
    options: LIST_OPTIONS,
    run: listing('sessions'),
  },
  {
    group: 'sessions',
    name: 'kick',
    args: '<user> [deviceId]',
    summary: "log out a user's devices (or one): announced as a logout, the registrations stay",
    run: kick('sessions'),
  },
];
