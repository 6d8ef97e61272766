import type { CommandReceivedV1 } from '#herald/contracts';
import type { Device, DeviceDirectory, DeviceLookupOptions } from './device-directory';

/**
 * How the directory answers for the device that sent the command:
 * - `as-sent`: the device as its command came (flow, carrier), never looked up: auth's `login`
 *   result reaches it before the session is committed, `logout`'s after it ended.
 * - `as-registered`: looked up once; a device logged in keeps its session carrier, one without a
 *   session (a `not-logged-in` result) gets it over the carrier of its command. A text/plain
 *   MESSAGE's sender is not special: the directory lists it as it is (PLAIN: the PushGateway skips it).
 */
export type SenderView = 'as-sent' | 'as-registered';

/**
 * The DeviceDirectory as seen while answering one command: it also knows the device the command
 * came from, so the command's result reaches it even without a session (see SenderView).
 */
export class CommandSenderDirectory implements DeviceDirectory {
  /** Undefined when `as-registered` and the command is a text/plain MESSAGE. */
  private readonly sender: Device | undefined;
  private senderLookup: Promise<Device | undefined> | undefined;

  constructor(
    private readonly inner: DeviceDirectory,
    command: CommandReceivedV1,
    private readonly view: SenderView = 'as-registered',
  ) {
    const carrier = command.carrier === 'MESSAGE-PLAIN' ? 'PLAIN' : command.carrier;
    this.sender =
      carrier === 'PLAIN' && view === 'as-registered'
        ? undefined
        : {
            aor: command.aor,
            deviceId: command.deviceId,
            edgeId: command.edgeId,
            flowId: command.flowId,
            contact: command.contact,
            // A text/plain MESSAGE comes from a device that speaks no JSON.
            carrier,
          };
  }

  loggedInDevices(
    aors: readonly string[],
    options?: DeviceLookupOptions,
  ): Promise<ReadonlyMap<string, readonly Device[]>> {
    return this.inner.loggedInDevices(aors, options);
  }

  async device(aor: string, deviceId: string): Promise<Device | undefined> {
    const sender = this.sender;
    if (sender === undefined || sender.aor !== aor || sender.deviceId !== deviceId) {
      return this.inner.device(aor, deviceId);
    }
    if (this.view === 'as-sent') {
      return sender;
    }
    const known = await this.registeredSender();
    return known === undefined || known.carrier === 'PLAIN' ? sender : known;
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
