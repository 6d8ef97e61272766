import type { CommandReceivedV1 } from '#herald/contracts';
import type { Device, DeviceDirectory, DeviceLookupOptions } from './device-directory';

/**
 * A DeviceDirectory that also knows the device a command came from, so its result reaches it
 * even without a session (a `not-logged-in` result): the directory lists such a device as
 * PLAIN, which the PushGateway skips. Logged-in devices keep their session carrier.
 */
export class CommandSenderDirectory implements DeviceDirectory {
  private readonly sender: Device | undefined;
  private senderLookup: Promise<Device | undefined> | undefined;

  constructor(
    private readonly inner: DeviceDirectory,
    command: CommandReceivedV1,
  ) {
    this.sender =
      command.carrier === 'MESSAGE-PLAIN'
        ? undefined
        : {
            aor: command.aor,
            deviceId: command.deviceId,
            edgeId: command.edgeId,
            flowId: command.flowId,
            contact: command.contact,
            carrier: command.carrier,
          };
  }

  loggedInDevices(
    aors: readonly string[],
    options?: DeviceLookupOptions,
  ): Promise<ReadonlyMap<string, readonly Device[]>> {
    return this.inner.loggedInDevices(aors, options);
  }

  async device(aor: string, deviceId: string): Promise<Device | undefined> {
    const isSender =
      this.sender !== undefined && this.sender.aor === aor && this.sender.deviceId === deviceId;
    if (!isSender) {
      return this.inner.device(aor, deviceId);
    }
    const known = await this.registeredSender();
    return known === undefined || known.carrier === 'PLAIN' ? this.sender : known;
  }

  /**
   * The sending device as the inner directory has it (undefined when unregistered, carrier PLAIN
   * when not logged in), looked up once per command however often it is asked.
   */
  registeredSender(): Promise<Device | undefined> {
    const sender = this.sender;
    if (sender === undefined) {
      return Promise.resolve(undefined);
    }
    this.senderLookup ??= this.inner.device(sender.aor, sender.deviceId);
    return this.senderLookup;
  }
}
