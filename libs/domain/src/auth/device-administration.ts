import { sessionEndedV1, userAorOf } from '#herald/contracts';
import { type EventPublisher, type Transaction, type UnitOfWork } from '../shared';
import { AuthError } from './auth-error';
import type {
  AccountRepository,
  AdministeredDevice,
  DeviceAdminRepository,
  DeviceCursor,
  DeviceSelection,
  RegistrationRepository,
  RemovedRegistration,
  Session,
} from './ports';
import { publishRemovals } from './registration-events';

export interface DeviceAdministrationDependencies {
  unitOfWork: UnitOfWork;
  bus: EventPublisher;
  accounts: AccountRepository;
  registrations: RegistrationRepository;
  devices: DeviceAdminRepository;
  sipDomain: string;
  now?: () => Date;
}

export const DEFAULT_DEVICE_PAGE_SIZE = 100;

/** Whose devices an operator asks for: a user (username or AOR) or an edge id. */
export type DeviceQuery = ({ user: string } | { edgeId: string }) & {
  loggedInOnly?: boolean;
  /** The `next` of the previous page. */
  after?: string;
  limit?: number;
};

export interface DevicePage {
  devices: AdministeredDevice[];
  /** Present when there may be more: pass it as `after`. */
  next?: string;
}

/** A kicked device: whether it was logged in (its watchers were told it went offline). */
export interface KickedDevice {
  aor: string;
  deviceId: string;
  loggedIn: boolean;
}

/**
 * The operator's view of registrations and sessions, and the kick: an unregistration or a logout
 * announced exactly as the device's own unREGISTER or `logout` would be (the same events, so
 * presence shows the device offline to watchers and im-router stops delivering to it).
 */
export class DeviceAdministration {
  private readonly now: () => Date;

  constructor(private readonly deps: DeviceAdministrationDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  async list(query: DeviceQuery): Promise<DevicePage> {
    const selection: DeviceSelection =
      'user' in query ? { aor: this.aorOf(query.user) } : { edgeId: query.edgeId };
    const limit = query.limit ?? DEFAULT_DEVICE_PAGE_SIZE;
    const after = query.after === undefined ? undefined : decodeCursor(query.after);
    const devices = await this.deps.unitOfWork.run((tx) =>
      this.deps.devices.list(tx, selection, { limit, loggedInOnly: query.loggedInOnly ?? false, after }),
    );
    const last = devices.at(-1);
    return devices.length === limit && last !== undefined
      ? { devices, next: encodeCursor({ aor: last.aor, deviceId: last.deviceId }) }
      : { devices };
  }

  /** Removes the user's bindings (one device's, when given) as an unREGISTER would. */
  async unregister(user: string, deviceId?: string): Promise<KickedDevice[]> {
    const aor = this.aorOf(user);
    return this.deps.unitOfWork.run(async (tx) => {
      await this.lockAccount(tx, aor);
      const bindings = await this.deps.registrations.listByAor(tx, aor);
      const targets = bindings.map((binding) => binding.deviceId).filter(selectedBy(deviceId));
      requireDevice(aor, deviceId, targets);
      const removed = await this.deps.registrations.remove(tx, aor, targets);
      // Announced inside the transaction, like every removal (publishRemovals): never lost.
      await publishRemovals(this.deps.bus, removed, 'unregister', this.now());
      return removed.map(kicked);
    });
  }

  /** Ends the user's sessions (one device's, when given) as a `logout` would; the bindings stay. */
  async logout(user: string, deviceId?: string): Promise<KickedDevice[]> {
    const aor = this.aorOf(user);
    return this.deps.unitOfWork.run(async (tx) => {
      await this.lockAccount(tx, aor);
      const ended = await this.deps.devices.endSessions(
        tx,
        aor,
        deviceId === undefined ? undefined : [deviceId],
      );
      requireDevice(
        aor,
        deviceId,
        ended.map((session) => session.deviceId),
      );
      await this.publishLogouts(ended);
      return ended.map((session) => ({ aor, deviceId: session.deviceId, loggedIn: true }));
    });
  }

  private aorOf(user: string): string {
    const aor = userAorOf(this.deps.sipDomain, user);
    if (aor === undefined) {
      throw new AuthError(
        'AUTH_INVALID_USER',
        `${user} is neither a username nor an AOR of ${this.deps.sipDomain}`,
      );
    }
    return aor;
  }

  /** The account row lock serializes the kick with the user's REGISTERs (Registrar takes it too). */
  private async lockAccount(tx: Transaction, aor: string): Promise<void> {
    if ((await this.deps.accounts.findByAor(tx, aor, { lock: true })) === undefined) {
      throw new AuthError('AUTH_ACCOUNT_NOT_FOUND', `no account for ${aor}`);
    }
  }

  private async publishLogouts(ended: readonly Session[]): Promise<void> {
    if (ended.length === 0) return;
    const at = this.now();
    await this.deps.bus.publish(
      ended.map(({ aor, deviceId, carrier }) =>
        sessionEndedV1.record(sessionEndedV1.build({ aor, deviceId, carrier, reason: 'logout' }, at)),
      ),
    );
  }
}

function selectedBy(deviceId: string | undefined): (candidate: string) => boolean {
  return (candidate) => deviceId === undefined || candidate === deviceId;
}

/** Kicking one named device that is not there is an error; kicking a user with none removes nothing. */
function requireDevice(aor: string, deviceId: string | undefined, found: readonly string[]): void {
  if (deviceId !== undefined && found.length === 0) {
    throw new AuthError('AUTH_DEVICE_NOT_FOUND', `${aor} has no such device: ${deviceId}`);
  }
}

function kicked(removed: RemovedRegistration): KickedDevice {
  return {
    aor: removed.aor,
    deviceId: removed.deviceId,
    loggedIn: removed.endedSessionCarrier !== undefined,
  };
}

function encodeCursor(cursor: DeviceCursor): string {
  return Buffer.from(JSON.stringify([cursor.aor, cursor.deviceId]), 'utf8').toString('base64url');
}

function decodeCursor(text: string): DeviceCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === 2 && parsed.every((part) => typeof part === 'string')) {
    return { aor: parsed[0], deviceId: parsed[1] };
  }
  throw new AuthError('AUTH_INVALID_CURSOR', 'after must be the next of a previous page');
}
