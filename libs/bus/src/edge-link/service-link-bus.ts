import type { BusRecord, EventBus, PublishOptions, Subscription, SubscriptionHandle } from '../event-bus';
import type { EdgeLinkClient } from './edge-link-client';

/**
 * The service's bus: `edge.<edgeId>.outbound.v1` records go over the link with Kafka as fallback;
 * a subscription to `sip.push-outcome.<origin>.v1` also receives the outcomes the edges send over
 * the link (stub: the API is agreed, the body lands next).
 */
export class ServiceLinkBus implements EventBus {
  constructor(
    private readonly inner: EventBus,
    readonly client: EdgeLinkClient,
  ) {}

  publish(records: ReadonlyArray<Omit<BusRecord, 'headers'> & PublishOptions>): Promise<void> {
    return this.inner.publish(records);
  }

  subscribe(subscription: Subscription): Promise<SubscriptionHandle> {
    return this.inner.subscribe(subscription);
  }

  ensureTopics(topics: ReadonlyArray<string>): Promise<void> {
    return this.inner.ensureTopics(topics);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
