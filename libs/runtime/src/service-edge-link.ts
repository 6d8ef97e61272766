import {
  EdgeLinkClient,
  EdgeLinkDirectory,
  type EdgeLinkEndpoint,
  parseEdgeLinkAddresses,
} from '#herald/bus';
import { ConfigError, type ConfigProblem, EDGE_LINK_SETTINGS, type EdgeLinkSettings } from '#herald/config';
import type { Origin } from '#herald/contracts';

/** An edge id a pod name could be: what the template must turn into `host:port`. */
const SAMPLE_EDGE_ID = 'herald-sip-edge-0';

/** `read()`, or a problem on `variable` when the link's parser refuses the value (RangeError). */
function parsed<T>(problems: ConfigProblem[], variable: string, read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    problems.push({ variable, message: error.message });
    return undefined;
  }
}

/**
 * The directory of the edges' link addresses of a service's settings, parsed by the link's own
 * parser (the map) and checked on a sample edge id (the template); throws ConfigError naming each
 * bad variable, so a typo fails the start instead of sending every record to Kafka.
 */
export function edgeLinkDirectoryOf(settings: EdgeLinkSettings): EdgeLinkDirectory {
  const problems: ConfigProblem[] = [];
  const { addresses: addressText, addressTemplate: template } = settings;
  const addresses: ReadonlyMap<string, EdgeLinkEndpoint> | undefined =
    addressText === undefined
      ? undefined
      : parsed(problems, EDGE_LINK_SETTINGS.addresses.variable, () => parseEdgeLinkAddresses(addressText));
  if (template !== undefined) {
    parsed(problems, EDGE_LINK_SETTINGS.addressTemplate.variable, () =>
      new EdgeLinkDirectory({ template }).endpointOf(SAMPLE_EDGE_ID),
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return new EdgeLinkDirectory({
    ...(addresses === undefined ? {} : { addresses }),
    ...(template === undefined ? {} : { template }),
  });
}

/** The service's link client of its settings: its origin names it to the edges (their outcomes come back). */
export function edgeLinkClientOf(settings: EdgeLinkSettings, origin: Origin): EdgeLinkClient {
  return new EdgeLinkClient({
    origin,
    directory: edgeLinkDirectoryOf(settings),
    ...(settings.token === undefined ? {} : { token: settings.token }),
  });
}
