/**
 * The edge link: records addressed to ONE edge (`edge.<edgeId>.outbound.v1`) go from a service
 * replica straight to the edge over TCP, push outcomes (`sip.push-outcome.<origin>.v1`) from the
 * edge straight back to a replica of their origin, and (protocol 2) the edge's commands and
 * requests to the replica whose Kafka consumer owns the record's partition, which told the edge
 * its partitions in an assignment frame; Kafka is the fallback for whatever the link does not
 * take. What holds, and the windows that remain (docs/architecture.md, The edge link):
 * - A publish resolves once each record is HANDLED by its peer and acked over the link, or acked by
 *   Kafka (acks=-1). A frame is acked with the handled prefix; only the rest falls back. For a
 *   command or request, handled is the service's commit: the edge's 200 OK follows it.
 * - At least once, as Kafka's redelivery: a frame the peer handled whose ack is lost (connection
 *   cut, EDGE_LINK_ACK_TIMEOUT_MS) is also published to Kafka and handled again. The link itself
 *   never hands a frame over twice, and a frame not started when its connection ends is not handled.
 * - Order per AOR, records for an edge: one frame per edge per publish, frames of a connection
 *   handled one after the other, a refused frame ends its connection (nothing behind it is
 *   handled), and after any fallback the service sends that edge's records to Kafka for
 *   EDGE_LINK_FALLBACK_HOLD_MS. Residual windows: frames already acked on the link while an EARLIER
 *   frame's fallback is on its way to Kafka (only frames in flight at the failure), and the edge's
 *   Kafka consumer lagging more than the hold behind when the link resumes.
 * - Order per AOR, commands and requests: the edge routes each by Kafka's partitioner (murmur2 of
 *   the key) to the connection owning its partition, frames of any number in flight; the replica
 *   takes each frame at once into its partitions' pipelines, behind the fetched records of each key,
 *   and acks frames as they are handled (possibly out of order). A record that goes to Kafka
 *   instead (no owner, a fallback) holds its partition on Kafka for EDGE_LINK_FALLBACK_HOLD_MS after
 *   the last such record. A rebalance clears the assignment (REBALANCING); records taken of a
 *   revoked partition are answered not handled and the edge republishes them to Kafka, duplicates
 *   being absorbed by the handlers' claims. Residual windows: records in flight at a failure or a
 *   rebalance; a hold ending while the owner has not fetched the last Kafka record of its partition;
 *   records sent to Kafka while no connection owned any partition of their topic (no hold then).
 * - Outcomes are handed to the same subscription the Kafka consumer uses, in runs per key, and
 *   acked once handled; a failure acks the prefix before it and the edge publishes the rest. The
 *   edge keeps one outcome frame in flight per connection (the service handles a connection's
 *   outcome frames one after the other); an outcome the handling of a records frame awaits goes to
 *   Kafka (awaitedByFrameHandling), so a frame never waits on a service that waits on this edge.
 * - Nothing new is trusted: a hello first (protocol version, another version refused; origin, the
 *   optional shared token, compared timing-safe), every frame length- and count-limited, an
 *   assignment checked (checkAssignment), records decoded by their contract.
 */
export * from './edge-link-directory';
export * from './edge-link-server';
export * from './edge-link-client';
export * from './service-link-bus';
export * from './edge-link-bus';
export { awaitedByFrameHandling, insideAwaitedPublish } from './awaited-by-frame';
export * from './link-timing';
export { EdgeLinkFrameError, EDGE_LINK_MAX_FRAME_BYTES, EDGE_LINK_MAX_RECORDS_PER_FRAME } from './link-frame';
