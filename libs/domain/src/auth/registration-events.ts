import type { EventPublisher } from '../shared';
import { deviceUnregisteredV1, sessionEndedV1 } from '#herald/contracts';
import { deserializeRecord, type SerializedRecord, serializeRecord } from './command-outputs';
import type { RemovedRegistration } from './ports';

export type RemovalReason = 'unregister' | 'expired' | 'account-deleted' | 'account-disabled' | 'superseded';

/**
 * A binding that goes ends its session: by expiry, or unregistered (by the device or an admin). A
 * superseded binding's device went away without unregistering (its address now carries another
 * device), so its session ends as an expiry would end it (protocol.md §5).
 */
const SESSION_END_REASON = {
  unregister: 'unregistered',
  expired: 'expired',
  superseded: 'expired',
  'account-deleted': 'unregistered',
  'account-disabled': 'unregistered',
} as const;

/**
 * The events of removed bindings: `auth.session-ended` for a logged-in device (its session ends
 * with the binding), then `auth.device-unregistered`.
 */
export function removalEvents(
  removed: readonly RemovedRegistration[],
  reason: RemovalReason,
  at: Date,
): SerializedRecord[] {
  return removed.flatMap(({ aor, deviceId, endedSessionCarrier }) => {
    const unregistered = deviceUnregisteredV1.build({ aor, deviceId, reason }, at);
    const records = [deviceUnregisteredV1.record(unregistered)];
    if (endedSessionCarrier !== undefined) {
      const ended = sessionEndedV1.build(
        { aor, deviceId, carrier: endedSessionCarrier, reason: SESSION_END_REASON[reason] },
        at,
      );
      records.unshift(sessionEndedV1.record(ended));
    }
    return records.map(serializeRecord);
  });
}

/**
 * Publishes the events of removed bindings. Called inside the transaction that removed them: if
 * the commit fails the rows come back and are announced again (at least once, never lost).
 */
export async function publishRemovals(
  bus: EventPublisher,
  removed: readonly RemovedRegistration[],
  reason: RemovalReason,
  at: Date,
): Promise<void> {
  const events = removalEvents(removed, reason, at);
  if (events.length > 0) {
    await bus.publish(events.map(deserializeRecord));
  }
}
