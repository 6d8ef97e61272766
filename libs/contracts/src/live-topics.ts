import { edgeIdOfOutboundTopic } from './events/edge-outbound.v1';
import { COMMAND_RECEIVED_V1_TOPICS } from './events/sip-command-received-by-owner.v1';
import { SIP_PUBLISH_REQUESTED_V1 } from './events/sip-publish-requested.v1';
import { SIP_REGISTER_REQUESTED_V1 } from './events/sip-register-requested.v1';
import { SIP_SUBSCRIBE_REQUESTED_V1 } from './events/sip-subscribe-requested.v1';

/**
 * Requests the edge holds a server transaction open for until a deadline: answered only after
 * the service's decision, so a restart loses no accepted request with them (the client retries).
 */
const DEADLINE_REQUEST_TOPICS: ReadonlySet<string> = new Set([
  SIP_REGISTER_REQUESTED_V1,
  SIP_PUBLISH_REQUESTED_V1,
  SIP_SUBSCRIBE_REQUESTED_V1,
]);

/**
 * True for a topic whose records are worth nothing once the process waiting for them is gone: a
 * deadline-bound request to a service, or anything sent to an edge. In the embedded default,
 * where edge and services are one process, the journaled bus hands them over in memory without
 * writing them to its journal (on Kafka every topic is written: it is also the transport).
 */
export function isLiveTopic(topic: string): boolean {
  // `edge.<edgeId>.outbound.v1`: requests to one edge's flows and transactions, which die with it.
  return DEADLINE_REQUEST_TOPICS.has(topic) || edgeIdOfOutboundTopic(topic) !== undefined;
}

const OWNER_COMMAND_TOPICS: ReadonlySet<string> = new Set(Object.values(COMMAND_RECEIVED_V1_TOPICS));

/**
 * True for a topic of commands one service acts on (`sip.command-received.<owner>.v1`): its
 * handler claims the command's id and commits its effect, so in the embedded default a publish of
 * one can resolve on that commit instead of a journal row of its own (JournaledEventBus
 * isAwaitedTopic), as the edge link's requests do in the Kafka deployment.
 */
export function isOwnerCommandTopic(topic: string): boolean {
  return OWNER_COMMAND_TOPICS.has(topic);
}
