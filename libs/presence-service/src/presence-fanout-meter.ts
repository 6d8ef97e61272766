import type { EventBus } from '#herald/bus';
import { edgeOutboundV1, ENVELOPE_CONTENT_TYPE } from '#herald/contracts';
import { componentLogger, heraldMetrics } from '#herald/observability';

type Publish = EventBus['publish'];
type PublishedRecords = Parameters<Publish>[0];

/**
 * The devices one publish pushes presence to, when it is a presence fan-out: every record a
 * `push.requested` carrying a `presence` envelope. A login snapshot (which starts with the
 * roster) and any other publish give undefined.
 */
export function presenceFanoutSize(records: PublishedRecords): number | undefined {
  if (records.length === 0) return undefined;
  for (const record of records) {
    if (!record.topic.startsWith('edge.')) return undefined;
    const event = edgeOutboundV1.decode(record.value);
    if (event.type !== 'push.requested' || event.contentType !== ENVELOPE_CONTENT_TYPE) return undefined;
    if ((JSON.parse(event.body) as { type?: unknown }).type !== 'presence') return undefined;
  }
  return records.length;
}

/**
 * The bus the presence service publishes on, recording herald_presence_fanout_size for each
 * acknowledged fan-out (the fan-out itself is built in the domain library, which knows no metrics).
 */
export function meterPresenceFanout(bus: EventBus): EventBus {
  return {
    publish: async (records) => {
      await bus.publish(records);
      let devices: number | undefined;
      try {
        devices = presenceFanoutSize(records);
      } catch (error) {
        // Metering must never fail a publish the broker acknowledged (the handler would run again).
        componentLogger('PresenceFanoutMeter').error(
          { code: 'PRESENCE_FANOUT_METER_FAILED', err: error },
          'measuring a fan-out failed',
        );
        return;
      }
      if (devices !== undefined) heraldMetrics().presenceFanout(devices);
    },
    subscribe: (subscription) => bus.subscribe(subscription),
    ensureTopics: (topics) => bus.ensureTopics(topics),
    close: () => bus.close(),
  };
}
