import { deviceUnregisteredV1, sessionEndedV1 } from '#herald/contracts';
import { type SerializedRecord, serializeRecord } from './once-then-publish';
import type { RemovedRegistration } from './ports';

export type RemovalReason = 'unregister' | 'expired';

const SESSION_END_REASON = { unregister: 'unregistered', expired: 'expired' } as const;

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
