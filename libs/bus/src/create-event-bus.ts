import type { EventBus } from './event-bus';
import { InProcessEventBus, type InProcessEventBusOptions } from './in-process-event-bus';
import { KafkaEventBus, type KafkaEventBusOptions } from './kafka-event-bus';

/** Which adapter to run: Kafka when distributed, in-process for the embedded default. */
export type EventBusConfig =
  ({ adapter: 'kafka' } & KafkaEventBusOptions) | ({ adapter: 'in-process' } & InProcessEventBusOptions);

export function createEventBus(config: EventBusConfig): EventBus {
  switch (config.adapter) {
    case 'kafka':
      return new KafkaEventBus(config);
    case 'in-process':
      return new InProcessEventBus(config);
  }
}
