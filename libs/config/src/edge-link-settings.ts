import { z } from 'zod';
import { booleanSetting, ConfigError, readSettings, type SettingValues } from './read-settings';

/**
 * The edge link (architecture.md, "The edge link"): records addressed to one edge, the outcomes of
 * its pushes and (HERALD_EDGE_LINK_REQUESTS) the commands and requests of a service replica's
 * partitions travel a direct TCP connection between the replica and the edge, Kafka being the
 * fallback. The edge's side (port, host) is read by loadSipEdgeSettings; the services' side
 * (where each edge listens, whether they take requests) here. The token is both's.
 */

/** The link's listening port by default: next to SIP's 5060/5061, one the chart opens on the edge pods. */
export const DEFAULT_EDGE_LINK_PORT = 5090;

/** Shortest shared token: a guessable one would be no check at all. */
const MIN_EDGE_LINK_TOKEN_LENGTH = 16;

/** `HERALD_EDGE_LINK_PORT`: a port (0 = ephemeral) or `off` (no link server: Kafka only). */
const edgeLinkPort = z
  .string()
  .trim()
  .transform((value, context) => {
    if (value === 'off') return 'off' as const;
    const port = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isInteger(port) && port <= 65_535) return port;
    context.addIssue({ code: 'custom', message: `"${value}" is neither a TCP port (0-65535) nor "off"` });
    return z.NEVER;
  });

/** The shared token both sides of the link present and check; unset = no token checked. */
const edgeLinkToken = z
  .string()
  .min(MIN_EDGE_LINK_TOKEN_LENGTH, `must be at least ${MIN_EDGE_LINK_TOKEN_LENGTH} characters`)
  .optional();

/** The edge's link settings, part of SIP_EDGE_SETTINGS (the edge reads them with the rest). */
export const EDGE_LINK_SERVER_SETTINGS = {
  edgeLinkPort: {
    variable: 'HERALD_EDGE_LINK_PORT',
    schema: edgeLinkPort.default(DEFAULT_EDGE_LINK_PORT),
  },
  /** Every interface by default: the services reach the edge pod on its pod address. */
  edgeLinkHost: { variable: 'HERALD_EDGE_LINK_HOST', schema: z.string().trim().min(1).default('0.0.0.0') },
  edgeLinkToken: { variable: 'HERALD_EDGE_LINK_TOKEN', schema: edgeLinkToken },
} as const;

/** The services' link settings: where each edge's link listens, and the token. */
export const EDGE_LINK_SETTINGS = {
  /** `edge-a=127.0.0.1:7001,edge-b=[::1]:7002`. */
  addresses: { variable: 'HERALD_EDGE_LINK_ADDRESSES', schema: z.string().trim().optional() },
  /** `{edgeId}.herald-sip-edge-headless.herald.svc.cluster.local:5090`. */
  addressTemplate: { variable: 'HERALD_EDGE_LINK_ADDRESS_TEMPLATE', schema: z.string().trim().optional() },
  token: EDGE_LINK_SERVER_SETTINGS.edgeLinkToken,
  /**
   * Whether the edges may send this service's replicas, over the link, the records of the
   * partitions their consumers own (commands and requests: the 200 OK then waits for the service's
   * commit instead of Kafka's acknowledgement; on by default). false: those records go through
   * Kafka only.
   */
  requests: { variable: 'HERALD_EDGE_LINK_REQUESTS', schema: booleanSetting(true) },
} as const;

/**
 * How a service reaches the edges' links, as written: the link's own parser reads the map and
 * checks the template at start-up (libs/runtime, edgeLinkClientOf), naming the variable when one
 * is bad; libs/config cannot import the bus (the bus logs through observability, which reads config).
 */
export type EdgeLinkSettings = SettingValues<typeof EDGE_LINK_SETTINGS>;

/**
 * Reads a service's link settings from `env`; throws ConfigError listing every bad variable.
 * Neither HERALD_EDGE_LINK_ADDRESSES nor HERALD_EDGE_LINK_ADDRESS_TEMPLATE set: undefined (link off).
 */
export function loadEdgeLinkSettings(env: NodeJS.ProcessEnv = process.env): EdgeLinkSettings | undefined {
  const { values, problems } = readSettings(
    EDGE_LINK_SETTINGS,
    ['addresses', 'addressTemplate', 'token', 'requests'],
    env,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  const settings = values as EdgeLinkSettings;
  if (settings.addresses === undefined && settings.addressTemplate === undefined) return undefined;
  return settings;
}
