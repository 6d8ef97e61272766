import { Kafka, type InstrumentationEvent } from 'kafkajs';

/**
 * Counts the Kafka requests of every client this process makes from now on (kafkajs' own `request`
 * events), by API, into the map returned; a bench clears it when its timed part starts.
 */
export function countKafkaRequests(): Map<string, number> {
  const counts = new Map<string, number>();
  const count = ({ payload }: InstrumentationEvent<{ apiName: string }>): void => {
    counts.set(payload.apiName, (counts.get(payload.apiName) ?? 0) + 1);
  };
  const { producer, consumer } = Kafka.prototype;
  Kafka.prototype.producer = function (this: Kafka, ...args) {
    const created = producer.apply(this, args);
    created.on(created.events.REQUEST, count);
    return created;
  };
  Kafka.prototype.consumer = function (this: Kafka, ...args) {
    const created = consumer.apply(this, args);
    created.on(created.events.REQUEST, count);
    return created;
  };
  return counts;
}
