import { type Device, type DeviceDirectory, PushGateway, type SentPush } from '../push';
import { aorDomain } from '#herald/contracts';
import {
  type BatchAccountDirectory,
  type BatchIdempotencyStore,
  type EventPublisher,
  type GroupObserver,
  type Transaction,
  type UnitOfWork,
} from '../shared';
import { statusRequest } from './im-pushes';
import type { StoredMessage } from './message';
import type { DeliveryAttempt, DeviceKey, MessageStore, PlainDeviceQueue, SendCheckLookup } from './ports';
import { type RecipientRefusal, Run } from './run';
import { RunDeviceDirectory } from './run-device-directory';

/** How long a new registration has to log in before it is offered stored IMs as a plain SIP device. */
export const PLAIN_DEVICE_LOGIN_GRACE_MS = 5_000;

export interface ImRouterDependencies {
  unitOfWork: UnitOfWork;
  idempotency: BatchIdempotencyStore;
  messages: MessageStore;
  plainDevices: PlainDeviceQueue;
  accounts: BatchAccountDirectory;
  /** The senders' devices and the recipients' accounts of a group's im.send commands, in one query. */
  sendChecks: SendCheckLookup;
  /** Logged-in devices (auth's sessions joined with registrations). */
  directory: DeviceDirectory;
  /** Carries pushes to the edges and im.message-accepted.v1. */
  publisher: EventPublisher;
  /** The service's SIP domain: recipients elsewhere are not allowed. */
  sipDomain: string;
  newPushId?: () => string;
  now?: () => Date;
  /** Default PLAIN_DEVICE_LOGIN_GRACE_MS. */
  plainDeviceLoginGraceMs?: number;
  /** Told of each group of sends and settles (its size, its transaction's and its publish's time). */
  groups?: GroupObserver;
}

/** A push of an IM to one device, to record as a delivery attempt. */
export interface Delivery {
  push: SentPush;
  message: StoredMessage;
}

/** A message no device took, and the section (command or outcome) that found it so. */
export interface Unreachable {
  message: StoredMessage;
  section: number;
}

/** What every job of im-router shares: its dependencies, push gateways, attempts, `stored`. */
export class ImRouting {
  readonly deps: ImRouterDependencies;
  readonly now: () => Date;
  /** Publishes at once, looking devices up as they are: for work outside a run. */
  readonly pushes: PushGateway;
  /** How long a new binding has to log in before it is a plain SIP device. */
  readonly plainDeviceLoginGraceMs: number;
  private readonly sipDomain: string;

  constructor(dependencies: ImRouterDependencies) {
    this.deps = dependencies;
    this.now = dependencies.now ?? (() => new Date());
    this.plainDeviceLoginGraceMs = dependencies.plainDeviceLoginGraceMs ?? PLAIN_DEVICE_LOGIN_GRACE_MS;
    this.sipDomain = dependencies.sipDomain.toLowerCase();
    this.pushes = this.gatewayFor(dependencies.directory, dependencies.publisher);
  }

  /** A group of runs' shared lookups and its one publish. */
  startRun(): Run {
    return new Run(
      new RunDeviceDirectory(this.deps.directory),
      this.deps.publisher,
      (directory, publisher) => this.gatewayFor(directory, publisher),
      (aors) => this.checkRecipients(aors),
      (senderAors, recipientAors) => this.checkSendersAndRecipients(senderAors, recipientAors),
    );
  }

  async recordAttempts(tx: Transaction, deliveries: ReadonlyArray<Delivery>): Promise<void> {
    if (deliveries.length > 0) {
      await this.deps.messages.recordAttempts(tx, this.attemptsOf(deliveries));
    }
  }

  /** The delivery attempts of `deliveries`, attempted now. */
  attemptsOf(deliveries: ReadonlyArray<Delivery>): DeliveryAttempt[] {
    const attemptedAt = this.now();
    return deliveries.map(({ push, message }) => ({
      pushId: push.pushId,
      messageKey: message.key,
      recipientAor: push.aor,
      deviceId: push.deviceId,
      attemptedAt,
    }));
  }

  /**
   * Holds the plain SIP devices among `targets` until `tx` ends (PlainDeviceQueue.holdPlain) and
   * withholds from `run` those whose login got in since they were looked up: a text/plain IM
   * published in `tx` then never reaches a device after its login.result. No statement when no
   * target is a plain SIP device.
   */
  async holdPlainTargets(
    tx: Transaction,
    run: Run,
    targets: ReadonlyArray<readonly Device[]>,
  ): Promise<void> {
    const plain = targets.flat().filter((device) => device.carrier === 'PLAIN');
    if (plain.length > 0) {
      run.directory.withhold((await this.holdPlain(tx, plain)).notPlain);
    }
  }

  /** PlainDeviceQueue.holdPlain: `devices` split into those held and those no longer plain. */
  async holdPlain<D extends DeviceKey>(
    tx: Transaction,
    devices: readonly D[],
  ): Promise<{ held: D[]; notPlain: D[] }> {
    const key = (device: DeviceKey) => JSON.stringify([device.aor, device.deviceId]);
    const held = new Set((await this.deps.plainDevices.holdPlain(tx, devices)).map(key));
    return {
      held: devices.filter((device) => held.has(key(device))),
      notPlain: devices.filter((device) => !held.has(key(device))),
    };
  }

  /**
   * Tells each sender `stored` for its messages no device can take now (one statement for all),
   * through `gatewayOf` the section that found it so. Returns whether any sender is told.
   */
  async tellStored(
    tx: Transaction,
    run: Run,
    unreachable: ReadonlyArray<Unreachable>,
    at: Date,
    gatewayOf: (section: number) => PushGateway,
  ): Promise<boolean> {
    if (unreachable.length === 0) {
      return false;
    }
    const marked = await this.deps.messages.markStoredIfUnreachable(
      tx,
      [...new Set(unreachable.map(({ message }) => message.key))],
      at,
    );
    // Told once per message, in the place of its first unreachable outcome or command.
    const told = new Map<string, Unreachable>();
    for (const entry of unreachable) {
      if (marked.has(entry.message.key) && !told.has(entry.message.key)) {
        told.set(entry.message.key, entry);
      }
    }
    const statuses = [...told.values()].map(({ message, section }) => ({
      section,
      request: statusRequest(message, { state: 'stored' }),
    }));
    await run.lookUpAhead(statuses.map(({ request }) => request));
    for (const { section, request } of statuses) {
      await gatewayOf(section).send([request]);
    }
    return statuses.length > 0;
  }

  private async checkRecipients(
    aors: readonly string[],
  ): Promise<ReadonlyMap<string, RecipientRefusal | undefined>> {
    const inDomain = this.inDomain(aors);
    const existing = inDomain.length > 0 ? await this.deps.accounts.existing(inDomain) : new Set<string>();
    return this.refusals(aors, existing);
  }

  /** The senders' devices and the recipients' refusals in ONE query (SendCheckLookup). */
  private async checkSendersAndRecipients(senderAors: readonly string[], recipientAors: readonly string[]) {
    const { devices, existing } = await this.deps.sendChecks.sendersAndRecipients(
      senderAors,
      this.inDomain(recipientAors),
    );
    return { devices, refusals: this.refusals(recipientAors, existing) };
  }

  private inDomain(aors: readonly string[]): string[] {
    return aors.filter((aor) => aorDomain(aor) === this.sipDomain);
  }

  /** Why each recipient cannot get IMs, given those of this domain with an account. */
  private refusals(
    aors: readonly string[],
    existing: ReadonlySet<string>,
  ): ReadonlyMap<string, RecipientRefusal | undefined> {
    return new Map(
      aors.map((aor): [string, RecipientRefusal | undefined] => {
        if (aorDomain(aor) !== this.sipDomain) {
          return [aor, { code: 'not-allowed', message: `${aor} is not in domain ${this.sipDomain}` }];
        }
        return [aor, existing.has(aor) ? undefined : { code: 'not-found', message: `unknown user ${aor}` }];
      }),
    );
  }

  private gatewayFor(directory: DeviceDirectory, publisher: EventPublisher): PushGateway {
    // A live IM skips a new binding still within its login grace: a JSON client whose login is
    // not handled yet would take a text/plain IM as delivered. The IM stays pending for its login
    // or, if it never logs in, for deliverToPlainDevices once the grace is over.
    return new PushGateway({
      directory,
      bus: publisher,
      newPushId: this.deps.newPushId,
      now: this.now,
      plainSipLoginGraceMs: this.plainDeviceLoginGraceMs,
    });
  }
}
