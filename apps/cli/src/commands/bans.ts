import { type CliCommand, type CommandContext, printJson } from '../command';

/** GET /admin/edge/bans on an edge's HTTP port (libs/sip-edge/src/admin). */
interface EdgeBans {
  edgeId: string;
  throttle: boolean;
  bans: object[];
}

const EDGE_OPTIONS = {
  url: {
    type: 'string',
    description: "the edge's HTTP port (default HERALD_EDGE_URL, http://127.0.0.1:8090)",
  },
} as const;

/** The edge the command talks to: each edge keeps its own bans in memory. */
function edgeOf({ options, edge }: CommandContext) {
  return edge(typeof options['url'] === 'string' ? options['url'] : undefined);
}

export const BAN_COMMANDS: CliCommand[] = [
  {
    group: 'bans',
    name: 'list',
    args: '',
    summary: 'the source addresses one edge bans now, one JSON line each (call every edge)',
    options: EDGE_OPTIONS,
    run: async (context) => {
      const listed = await edgeOf(context).request<EdgeBans>('GET', '/admin/edge/bans');
      if (!listed.throttle) context.io.stderr(`note: the throttle is off on edge ${listed.edgeId}`);
      for (const ban of listed.bans) printJson(context.io, { edgeId: listed.edgeId, ...ban });
    },
  },
  {
    group: 'bans',
    name: 'lift',
    args: '<source>',
    summary: 'lift the ban of a source address (or an IPv6 /64 as listed) on one edge',
    options: EDGE_OPTIONS,
    run: async (context) => {
      const [source] = context.args;
      await edgeOf(context).request('DELETE', `/admin/edge/bans/${encodeURIComponent(source!)}`);
      printJson(context.io, { lifted: source });
    },
  },
];
