import type { CommandReceivedV1 } from '#herald/contracts';
import type { Device, DeviceDirectory, DeviceLookupOptions } from '../push';

/**
 * The DeviceDirectory as seen while answering one command: the sender is reachable over the
 * flow its command arrived on, with the carrier it used, even before `login` committed its
 * session or after `logout` ended it (results always reach the device that sent the command).
 */
export class SenderAwareDirectory implements DeviceDirectory {
  private readonly sender: Device;

  constructor(
    private readonly directory: DeviceDirectory,
    command: CommandReceivedV1,
  ) {
    this.sender = {
      aor: command.aor,
      deviceId: command.deviceId,
      edgeId: command.edgeId,
      flowId: command.flowId,
      contact: command.contact,
      // A text/plain MESSAGE comes from a device that speaks no JSON.
      carrier: command.carrier === 'MESSAGE-PLAIN' ? 'PLAIN' : command.carrier,
    };
  }

  loggedInDevices(
    aors: readonly string[],
    options?: DeviceLookupOptions,
  ): Promise<ReadonlyMap<string, readonly Device[]>> {
    return this.directory.loggedInDevices(aors, options);
  }

  async device(aor: string, deviceId: string): Promise<Device | undefined> {
    if (aor === this.sender.aor && deviceId === this.sender.deviceId) {
      return this.sender;
    }
    return this.directory.device(aor, deviceId);
  }
}
