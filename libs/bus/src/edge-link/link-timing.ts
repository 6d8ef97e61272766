/** A frame not acknowledged within this is not handled as far as its sender knows: it falls back to Kafka. */
export const EDGE_LINK_ACK_TIMEOUT_MS = 2_000;
/** A service waits at most this for a connection to an edge before the publish falls back to Kafka. */
export const EDGE_LINK_CONNECT_TIMEOUT_MS = 250;
/**
 * After a fallback to Kafka for an edge, the service sends that edge's records to Kafka for this
 * long (so later records do not overtake the ones on Kafka), then tries the link again.
 */
export const EDGE_LINK_FALLBACK_HOLD_MS = 5_000;
