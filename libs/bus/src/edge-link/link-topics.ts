import { EDGE_OUTBOUND_V1_PATTERN, PUSH_OUTCOME_V1_TOPICS } from '#herald/contracts';

/** The edge link carries the topics addressed to one edge, and the outcomes addressed to one service. */
const [EDGE_OUTBOUND_PREFIX, EDGE_OUTBOUND_SUFFIX] = EDGE_OUTBOUND_V1_PATTERN.split('{edgeId}') as [
  string,
  string,
];
const ORIGIN_OF_OUTCOME_TOPIC: ReadonlyMap<string, string> = new Map(
  Object.entries(PUSH_OUTCOME_V1_TOPICS).map(([origin, topic]) => [topic, origin]),
);

/** `edge.<edgeId>.outbound.v1` -> edgeId; undefined for any other topic. */
export function edgeIdOfOutbound(topic: string): string | undefined {
  if (
    topic.length <= EDGE_OUTBOUND_PREFIX.length + EDGE_OUTBOUND_SUFFIX.length ||
    !topic.startsWith(EDGE_OUTBOUND_PREFIX) ||
    !topic.endsWith(EDGE_OUTBOUND_SUFFIX)
  ) {
    return undefined;
  }
  return topic.slice(EDGE_OUTBOUND_PREFIX.length, topic.length - EDGE_OUTBOUND_SUFFIX.length);
}

/** `sip.push-outcome.<origin>.v1` -> origin; undefined for any other topic. */
export function originOfOutcome(topic: string): string | undefined {
  return ORIGIN_OF_OUTCOME_TOPIC.get(topic);
}

/** The outcome topic of `origin` (undefined for a name that is no origin: such a service takes no outcomes). */
export function outcomeTopicOf(origin: string): string | undefined {
  return Object.hasOwn(PUSH_OUTCOME_V1_TOPICS, origin)
    ? PUSH_OUTCOME_V1_TOPICS[origin as keyof typeof PUSH_OUTCOME_V1_TOPICS]
    : undefined;
}
