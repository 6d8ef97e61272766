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
 * outcomes the edges send over the link (outcomeFrameHandler), acknowledged once handled.
 */
export class ServiceLinkBus implements EventBus {
  constructor(
    private readonly inner: EventBus,
    private readonly client: EdgeRecordLink,
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
    if (outcomeTopic === undefined || !subscription.topics.includes(outcomeTopic)) {
      return handle;
    }
    const handler = outcomeFrameHandler(subscription, outcomeTopic);
    this.client.handleOutcomes(handler);
    return {
      stop: async () => {
        this.client.handleOutcomes(undefined);
        await handle.stop();
      },
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
