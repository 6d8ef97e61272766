/** Where one edge's link server listens. */
export interface EdgeLinkEndpoint {
  host: string;
  port: number;
}

/** The placeholder HERALD_EDGE_LINK_ADDRESS_TEMPLATE's `{edgeId}` is replaced with. */
const EDGE_ID_PLACEHOLDER = '{edgeId}';
const MAX_TCP_PORT = 65_535;

/**
 * Where each edge's link listens: the static map first (HERALD_EDGE_LINK_ADDRESSES), then the
 * template (HERALD_EDGE_LINK_ADDRESS_TEMPLATE, `{edgeId}` replaced, e.g. the edge pod's name in
 * its headless service). An edge neither knows has no link: its records go to Kafka.
 */
export class EdgeLinkDirectory {
  private readonly addresses: ReadonlyMap<string, EdgeLinkEndpoint>;
  private readonly template: string | undefined;

  constructor(options: { addresses?: ReadonlyMap<string, EdgeLinkEndpoint>; template?: string }) {
    this.addresses = options.addresses ?? new Map();
    this.template = options.template;
    if (this.template !== undefined && !this.template.includes(EDGE_ID_PLACEHOLDER)) {
      throw new RangeError(`edge link address template "${this.template}" has no ${EDGE_ID_PLACEHOLDER}`);
    }
  }

  /** True when no edge can have a link (neither a map nor a template): Kafka only, as before. */
  get empty(): boolean {
    return this.addresses.size === 0 && this.template === undefined;
  }

  endpointOf(edgeId: string): EdgeLinkEndpoint | undefined {
    const listed = this.addresses.get(edgeId);
    if (listed !== undefined || this.template === undefined) {
      return listed;
    }
    return parseEndpoint(this.template.replaceAll(EDGE_ID_PLACEHOLDER, edgeId), this.template);
  }
}

/** "edge-a=127.0.0.1:7001,edge-b=[::1]:7002" -> map; throws RangeError naming the bad entry. */
export function parseEdgeLinkAddresses(text: string): Map<string, EdgeLinkEndpoint> {
  const addresses = new Map<string, EdgeLinkEndpoint>();
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const equals = trimmed.indexOf('=');
    const edgeId = trimmed.slice(0, equals).trim();
    if (equals < 0 || edgeId === '') {
      throw new RangeError(`edge link address "${trimmed}" is not edgeId=host:port`);
    }
    if (addresses.has(edgeId)) {
      throw new RangeError(`edge link address "${trimmed}": edge ${edgeId} is listed twice`);
    }
    addresses.set(edgeId, parseEndpoint(trimmed.slice(equals + 1).trim(), trimmed));
  }
  return addresses;
}

/** "host:port" or "[v6]:port"; `entry` names the setting's entry in the error. */
function parseEndpoint(address: string, entry: string): EdgeLinkEndpoint {
  const colon = address.lastIndexOf(':');
  const rawHost = colon < 0 ? '' : address.slice(0, colon);
  const bracketed = rawHost.startsWith('[') && rawHost.endsWith(']');
  const host = bracketed ? rawHost.slice(1, -1) : rawHost;
  // An IPv6 address must be bracketed: "::1:7001" could be read two ways.
  const ambiguous = !bracketed && host.includes(':');
  const portText = address.slice(colon + 1);
  const port = Number(portText);
  if (
    host === '' ||
    ambiguous ||
    host.includes('[') ||
    !/^\d+$/.test(portText) ||
    port < 1 ||
    port > MAX_TCP_PORT
  ) {
    throw new RangeError(`edge link address "${entry}" is not host:port (port 1-${MAX_TCP_PORT})`);
  }
  return { host, port };
}
