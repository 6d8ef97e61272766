import { canonicalAor } from '#herald/contracts';
import type { DeviceRegisteredV1 } from '#herald/contracts';
import type { ImRouting } from './im-routing';
import type { OfflineDelivery } from './offline-delivery';

/** Plain SIP devices served per transaction of `deliverToPlainDevices`. */
export const PLAIN_DEVICE_BATCH_SIZE = 100;

/**
 * New bindings that do not log in within the login grace are served as plain SIP devices: their
 * user's pending IMs as text/plain MESSAGEs (protocol.md §7).
 */
export class PlainDeviceSweep {
  constructor(
    private readonly routing: ImRouting,
    private readonly offline: OfflineDelivery,
  ) {}

  /** A new binding: if it does not log in within the grace period, it is served as plain SIP. */
  async deviceRegistered(event: DeviceRegisteredV1): Promise<void> {
    if (!event.created) {
      return;
    }
    const dueAt = new Date(new Date(event.at).getTime() + this.routing.plainDeviceLoginGraceMs);
    const { unitOfWork, plainDevices } = this.routing.deps;
    await unitOfWork.runSingleStatement((tx) =>
      plainDevices.schedule(tx, { aor: canonicalAor(event.aor), deviceId: event.deviceId }, dueAt),
    );
  }

  /**
   * Offers pending IMs to registered devices whose grace period is over (as text/plain MESSAGE
   * when they are still plain; an unregistered device gets nothing). Returns the devices served.
   */
  async deliverToPlainDevices(limit: number = PLAIN_DEVICE_BATCH_SIZE): Promise<number> {
    const { unitOfWork, plainDevices, messages } = this.routing.deps;
    return unitOfWork.run(async (tx) => {
      const due = await plainDevices.takeDue(tx, this.routing.now(), limit);
      if (due.length === 0) {
        return 0;
      }
      await messages.lockRecipients(
        tx,
        due.map((device) => device.aor),
      );
      // A login held back past the grace may be handled meanwhile: one that got in first leaves
      // its device out (its session-started delivers as JSON), a later one waits for this commit.
      const { held } = await this.routing.holdPlain(tx, due);
      for (const device of held) {
        // An IM pushed to this binding since it was created and still awaiting its outcome is on
        // its way (a live push after the grace, or one whose outcome waits in a backlog after an
        // im-router restart): a plain device cannot drop a repeated messageId.
        const registeredAt = new Date(device.dueAt.getTime() - this.routing.plainDeviceLoginGraceMs);
        await this.offline.deliverPending(tx, device.aor, device.deviceId, {
          deviceId: device.deviceId,
          since: registeredAt,
        });
      }
      return due.length;
    });
  }
}
