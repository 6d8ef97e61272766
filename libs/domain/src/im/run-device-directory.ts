import type { Device, DeviceDirectory, DeviceLookupOptions } from '../push';

/**
 * A DeviceDirectory that looks each AOR (per lookup options) and each device up once, for the
 * commands or outcomes of one group of runs. Only for the length of one unit of work: an AOR
 * looked up under its recipient lock stays valid while the lock is held (a login's stored-IM
 * delivery waits for the lock and finds every IM this group stored). The devices of the AORs
 * looked up ahead (lookUpDevices: a group's senders) also answer the lookups of those AORs'
 * logged-in devices (what an `im.status` to a sender reads): a sender is sent statuses, never IMs
 * held by its recipient lock, and an IM's lookup includes plain devices, which that one does not.
 */
export class RunDeviceDirectory implements DeviceDirectory {
  private readonly devicesOfAor = new Map<string, Promise<readonly Device[]>>();
  private readonly devices = new Map<string, Promise<Device | undefined>>();
  /** Devices this unit of work must not push to (withhold). */
  private readonly withheld = new Set<string>();

  constructor(private readonly inner: DeviceDirectory) {}

  /** Leaves `devices` out of every lookup from now on, cached or not. */
  withhold(devices: ReadonlyArray<{ aor: string; deviceId: string }>): void {
    for (const { aor, deviceId } of devices) this.withheld.add(deviceKey(aor, deviceId));
  }

  async loggedInDevices(
    aors: readonly string[],
    options: DeviceLookupOptions = {},
  ): Promise<ReadonlyMap<string, readonly Device[]>> {
    const found = await this.lookedUpDevices(aors, options);
    if (this.withheld.size === 0) {
      return found;
    }
    return new Map(
      [...found].map(([aor, devices]) => [
        aor,
        devices.filter((device) => !this.withheld.has(deviceKey(device.aor, device.deviceId))),
      ]),
    );
  }

  private async lookedUpDevices(
    aors: readonly string[],
    options: DeviceLookupOptions,
  ): Promise<ReadonlyMap<string, readonly Device[]>> {
    const keyOf = (aor: string) => aorKey(aor, options);
    const missing = [...new Set(aors)].filter((aor) => !this.devicesOfAor.has(keyOf(aor)));
    if (missing.length > 0) {
      // One query for every AOR not looked up yet.
      const lookup = this.inner.loggedInDevices(missing, options);
      for (const aor of missing) {
        this.devicesOfAor.set(keyOf(aor), handledCopy(lookup.then((byAor) => byAor.get(aor) ?? [])));
      }
    }
    const entries = await Promise.all(
      aors.map(async (aor) => [aor, await (this.devicesOfAor.get(keyOf(aor)) ?? [])] as const),
    );
    return new Map(entries);
  }

  /**
   * Looks the devices up ahead, in ONE query for all of them, so `device` answers them from the
   * cache. A device as `device` has it (registered, logged in or plain) is one that
   * loggedInDevices lists with includePlainSip and no login grace: what `lookup` returns for the
   * AORs of the devices not looked up yet (aorsToLookUp), by default the inner directory's answer.
   */
  async lookUpDevices(
    devices: ReadonlyArray<{ aor: string; deviceId: string }>,
    lookup: (aors: readonly string[]) => Promise<ReadonlyMap<string, readonly Device[]>> = (aors) =>
      this.inner.loggedInDevices(aors, { includePlainSip: true }),
  ): Promise<void> {
    const missing = this.notLookedUp(devices);
    if (missing.length === 0) {
      return;
    }
    const lookedUp = lookup([...new Set(missing.map(({ aor }) => aor))]);
    for (const { aor, deviceId } of missing) {
      this.devices.set(
        deviceKey(aor, deviceId),
        handledCopy(lookedUp.then((byAor) => byAor.get(aor)?.find((device) => device.deviceId === deviceId))),
      );
    }
    // The same rows, less the plain devices, are the AOR's logged-in devices (carrier set).
    for (const aor of new Set(missing.map((device) => device.aor))) {
      const loggedIn = aorKey(aor, {});
      if (!this.devicesOfAor.has(loggedIn)) {
        this.devicesOfAor.set(
          loggedIn,
          handledCopy(
            lookedUp.then((byAor) => (byAor.get(aor) ?? []).filter((device) => device.carrier !== 'PLAIN')),
          ),
        );
      }
    }
    await lookedUp;
  }

  /** The AORs lookUpDevices would look up for `devices`: those of the devices not looked up yet. */
  aorsToLookUp(devices: ReadonlyArray<{ aor: string; deviceId: string }>): string[] {
    return [...new Set(this.notLookedUp(devices).map(({ aor }) => aor))];
  }

  private notLookedUp<D extends { aor: string; deviceId: string }>(devices: readonly D[]): D[] {
    return devices.filter(({ aor, deviceId }) => !this.devices.has(deviceKey(aor, deviceId)));
  }

  async device(aor: string, deviceId: string): Promise<Device | undefined> {
    const key = deviceKey(aor, deviceId);
    if (this.withheld.has(key)) {
      return undefined;
    }
    let lookup = this.devices.get(key);
    if (lookup === undefined) {
      lookup = this.inner.device(aor, deviceId);
      this.devices.set(key, lookup);
    }
    return lookup;
  }
}

/**
 * `entry`, marked as handled: when the one lookup behind it fails, the caller that started the
 * lookup gets the error (it awaits the lookup), and a later reader of the entry gets it again; an
 * entry nobody reads must not also count as an unhandled rejection, which ends the process.
 */
function handledCopy<T>(entry: Promise<T>): Promise<T> {
  entry.catch(() => undefined);
  return entry;
}

/**
 * The cache key of an AOR's lookup: the grace only counts where plain devices do. An AOR holds no
 * whitespace (AorSchema), so the newline ends the kind.
 */
function aorKey(aor: string, options: DeviceLookupOptions): string {
  const kind = options.includePlainSip === true ? `plain ${options.plainSipLoginGraceMs ?? 0}` : 'logged-in';
  return `${kind}\n${aor}`;
}

function deviceKey(aor: string, deviceId: string): string {
  return JSON.stringify([aor, deviceId]);
}
