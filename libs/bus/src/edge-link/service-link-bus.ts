import { edgeIdOfOutboundTopic } from '#herald/contracts';
import { heraldMetrics } from '#herald/observability';
import { publishTraced } from '../bus-tracing';
import type { BusRecord, EventBus, PublishOptions, Subscription, SubscriptionHandle } from '../event-bus';
import type { EdgeRecordLink } from './edge-link-client';
import { outcomeFrameHandler } from './link-outcome-runs';
import { outcomeTopicOf, routeOverLink } from './link-topics';

type OutgoingRecord = Omit<BusRecord, 'headers'> & PublishOptions;

/**
 * The service's bus: `edge.<edgeId>.outbound.v1` records go over the link (one frame per edge per
 * publish, records in order), and the part an edge did not handle is published to the inner bus
 * (Kafka) as before; records of other topics go to the inner bus in the same call. A publish
 * resolves once every record is handled by its edge or acknowledged by the inner bus, and rejects
 * as the inner bus does. A subscription to `sip.push-outcome.<origin>.v1` also receives the
 * outcomes the edges send over the link (outcomeFrameHandler), acknowledged once handled; a
 * subscription whose consumer has an intake (Kafka) is offered to the edges (unless
 * takesPartitionRecords is false), which send it the commands and requests of the partitions it
 * owns (offerPartitions).
 */
export class ServiceLinkBus implements EventBus {
  /**
   * takesPartitionRecords (HERALD_EDGE_LINK_REQUESTS): the edges may send this replica, over the
   * link, the records of the partitions its consumers own.
   */
  constructor(
    private readonly inner: EventBus,
    private readonly client: EdgeRecordLink,
    private readonly takesPartitionRecords: boolean,
  ) {}

  async publish(records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    const {
      linked: toEdges,
      toInner,
      untaken,
    } = routeOverLink(records, edgeIdOfOutboundTopic, (edgeId) => this.client.linkable(edgeId));
    // Records for an edge in its fallback hold (or with no address) go to Kafka in this same publish.
    if (untaken > 0) heraldMetrics().edgeLinkRecords('to-edge', 'fallback', untaken);
    if (toEdges === undefined) {
      return this.inner.publish(records);
    }
    const sends: Array<Promise<void>> = [...toEdges].map(([edgeId, edgeRecords]) =>
      this.linkOrFallback(edgeId, edgeRecords),
    );
    if (toInner.length > 0) sends.push(this.inner.publish(toInner));
    await Promise.all(sends);
  }

  async subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    const outcomeTopic = outcomeTopicOf(this.client.origin);
    const handle = await this.inner.subscribe(subscription);
    const takesOutcomes = outcomeTopic !== undefined && subscription.topics.includes(outcomeTopic);
    if (takesOutcomes) this.client.handleOutcomes(outcomeFrameHandler(subscription, outcomeTopic));
    // The edges send the records of the partitions this consumer owns over the link (commands, requests).
    const withdraw =
      this.takesPartitionRecords && handle.intake !== undefined
        ? this.client.offerPartitions(handle.intake)
        : undefined;
    if (!takesOutcomes && withdraw === undefined) return handle;
    return {
      stop: async () => {
        withdraw?.();
        if (takesOutcomes) this.client.handleOutcomes(undefined);
        await handle.stop();
      },
      ...(handle.intake === undefined ? {} : { intake: handle.intake }),
    };
  }

  ensureTopics(topics: ReadonlyArray<string>): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  /** Closes the link first (outcome frames being handled finish), then the inner bus. */
  async close(): Promise<void> {
    await this.client.close();
    await this.inner.close();
  }

  private async linkOrFallback(edgeId: string, records: ReadonlyArray<OutgoingRecord>): Promise<void> {
    let handled = 0;
    await publishTraced('edge-link', records, async (traced) => {
      handled = await this.client.send(edgeId, traced);
    });
    if (handled < records.length) {
      await this.inner.publish(records.slice(handled));
    }
  }
}
