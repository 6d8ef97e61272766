import type { BusRecord, EventBus, PublishOptions, Subscription, SubscriptionHandle } from '../event-bus';
import type { EdgeLinkServer } from './edge-link-server';

/**
 * The edge's bus: `sip.push-outcome.<origin>.v1` records go over a link connection of that origin
 * when one is connected and acknowledges, else to the inner bus. Everything else: inner bus
 * (stub: the API is agreed, the body lands next).
 */
export class EdgeLinkOutcomeBus implements EventBus {
  constructor(
    private readonly inner: EventBus,
    readonly server: EdgeLinkServer,
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
