import type { SessionCarrier } from '#herald/contracts';

/**
 * How a device receives pushes: INFO or MESSAGE with the JSON envelope after `login`, or PLAIN
 * for a registered device that never sent `login` during its registration (protocol.md §7:
 * text/plain MESSAGE only). A JSON client that logged out is neither: it gets no pushes.
 */
export type DeviceCarrier = SessionCarrier | 'PLAIN';

/** One registered device as the edge reaches it. */
export interface Device {
  aor: string;
  deviceId: string;
  edgeId: string;
  flowId: string;
  /** The registered Contact: the Request-URI of a push. */
  contact: string;
  carrier: DeviceCarrier;
}

export interface DeviceLookupOptions {
  /** Also return registered plain SIP devices (carrier PLAIN); default false. */
  includePlainSip?: boolean;
  /**
   * With includePlainSip: leave out plain devices registered less than this long ago (default 0).
   * A JSON client is plain from its REGISTER until its login is handled; within this grace it is
   * neither, so it never gets an IM as text/plain.
   */
  plainSipLoginGraceMs?: number;
}

/** Resolves AORs to their devices (adapter: sessions joined with registrations, owned by auth). */
export interface DeviceDirectory {
  /**
   * Logged-in devices of every AOR, in ONE query. Every requested AOR is a key of the result
   * (an empty list when it has no device).
   */
  loggedInDevices(
    aors: readonly string[],
    options?: DeviceLookupOptions,
  ): Promise<ReadonlyMap<string, readonly Device[]>>;
  /**
   * One registered device (logged in or plain), or undefined when it is not registered or is a
   * JSON client that logged out (it gets nothing until it logs in again).
   */
  device(aor: string, deviceId: string): Promise<Device | undefined>;
}
