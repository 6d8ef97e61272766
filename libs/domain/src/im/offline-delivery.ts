import { canonicalAor } from '#herald/contracts';
import { type Transaction } from '../shared';
import { imRequest } from './im-pushes';
import type { ImRouting } from './im-routing';
import type { InFlightFilter } from './ports';

/** Pending IMs pushed to a device that logs in, or that stays a plain SIP device. */
export class OfflineDelivery {
  constructor(private readonly routing: ImRouting) {}

  /**
   * A device logged in: pushes it every pending IM of its user, oldest first and marked offline.
   */
  async deliverStored(recipientAor: string, deviceId: string, sessionStartedAt: Date): Promise<void> {
    const device = { aor: canonicalAor(recipientAor), deviceId };
    const { unitOfWork, plainDevices, messages } = this.routing.deps;
    await unitOfWork.run(async (tx) => {
      await plainDevices.cancel(tx, device);
      await messages.lockRecipients(tx, [device.aor]);
      // An IM sent live to this session before this event was handled is already on its way.
      await this.deliverPending(tx, device.aor, device.deviceId, { deviceId, since: sessionStartedAt });
    });
  }

  /**
   * Pushes the recipient's pending IMs to one device, oldest first and marked offline, and records
   * the attempts; leaves out those pushed to it since `notInFlightTo.since` and still awaiting
   * their outcome. The caller holds the recipient's lock (MessageStore.lockRecipients).
   */
  async deliverPending(
    tx: Transaction,
    aor: string,
    deviceId: string,
    notInFlightTo: InFlightFilter,
  ): Promise<void> {
    const pending = await this.routing.deps.messages.pendingFor(tx, aor, notInFlightTo);
    if (pending.length === 0) {
      return;
    }
    const sent = await this.routing.pushes.send(
      pending.map((message) => imRequest(message, { kind: 'device', aor, deviceId }, true)),
    );
    await this.routing.recordAttempts(
      tx,
      sent.map((push) => ({ push, message: pending[push.requestIndex] })),
    );
  }
}
