/** A frame not acknowledged within this is not handled as far as its sender knows: it falls back to Kafka. */
export const EDGE_LINK_ACK_TIMEOUT_MS = 2_000;
/** A service waits at most this for a connection to an edge before the publish falls back to Kafka. */
export const EDGE_LINK_CONNECT_TIMEOUT_MS = 250;
/**
 * After a fallback to Kafka for an edge, the service sends that edge's records to Kafka for this
 * long (so later records do not overtake the ones on Kafka), then tries the link again.
 */
export const EDGE_LINK_FALLBACK_HOLD_MS = 5_000;
/** A connection that has not said hello within this is closed (the edge holds no idle stranger). */
export const EDGE_LINK_HELLO_TIMEOUT_MS = 5_000;
/** At most one EDGE_LINK_FALLBACK (and one refused-connection) line per reason code per this interval. */
export const EDGE_LINK_WARNING_INTERVAL_MS = 10_000;
