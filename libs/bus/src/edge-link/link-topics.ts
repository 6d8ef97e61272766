import { PUSH_OUTCOME_V1_TOPICS } from '#herald/contracts';

/**
 * The edge link carries the topics addressed to one edge (edgeIdOfOutboundTopic), and the outcomes
 * addressed to one service; the commands and requests it carries are those of the partitions a
 * replica said it owns (EdgeLinkServer.routeOf), whatever their topic.
 */
const ORIGIN_OF_OUTCOME_TOPIC: ReadonlyMap<string, string> = new Map(
  Object.entries(PUSH_OUTCOME_V1_TOPICS).map(([origin, topic]) => [topic, origin]),
);

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

/** A publish split for a link: what the link takes now, per destination, and what goes to the inner bus. */
export interface LinkRoute<R> {
  /** Per destination (edge id or origin), its records in publish order; undefined when none. */
  linked: Map<string, R[]> | undefined;
  /** Records of other topics, and addressed ones the link does not take now. */
  toInner: R[];
  /** How many of `toInner` were addressed over the link but not taken (its fallbacks). */
  untaken: number;
}

/**
 * Splits a publish's records by `destinationOf(topic)` (undefined: not a link topic): those whose
 * destination `takes` go over the link, grouped per destination in order; the rest to the inner bus.
 */
export function routeOverLink<R extends { topic: string }>(
  records: ReadonlyArray<R>,
  destinationOf: (topic: string) => string | undefined,
  takes: (destination: string) => boolean,
): LinkRoute<R> {
  let linked: Map<string, R[]> | undefined;
  const toInner: R[] = [];
  let untaken = 0;
  for (const record of records) {
    const destination = destinationOf(record.topic);
    if (destination === undefined) {
      toInner.push(record);
    } else if (!takes(destination)) {
      untaken += 1;
      toInner.push(record);
    } else {
      linked ??= new Map();
      const destinationRecords = linked.get(destination) ?? [];
      destinationRecords.push(record);
      linked.set(destination, destinationRecords);
    }
  }
  return { linked, toInner, untaken };
}
