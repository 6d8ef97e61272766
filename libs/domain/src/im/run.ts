import type { ErrorCode } from '#herald/contracts';
import type { Device, DeviceDirectory, PushGateway, PushRequest } from '../push';
import type { EventPublisher } from '../shared';
import { CollectingPublisher } from './collecting-publisher';
import { ImError } from './im-error';
import type { RunDeviceDirectory } from './run-device-directory';

/** Why an im.send is refused after it was accepted (protocol.md §4: `failed`). */
export interface RecipientRefusal {
  code: Extract<ErrorCode, 'not-found' | 'not-allowed'>;
  message: string;
}

/** Checks recipients, all in one lookup: each one's refusal, or undefined when it can get IMs. */
export type RecipientCheck = (
  recipientAors: readonly string[],
) => Promise<ReadonlyMap<string, RecipientRefusal | undefined>>;

/**
 * Looks the devices of senders' AORs up (as RunDeviceDirectory.lookUpDevices) and checks
 * recipients (as RecipientCheck), in ONE lookup.
 */
export type SendersAndRecipientsCheck = (
  senderAors: readonly string[],
  recipientAors: readonly string[],
) => Promise<{
  devices: ReadonlyMap<string, readonly Device[]>;
  refusals: ReadonlyMap<string, RecipientRefusal | undefined>;
}>;

/** Never called: the publisher of the gateway Run uses only to look targets up. */
const LOOKUP_ONLY: EventPublisher = {
  publish: () =>
    Promise.reject(new ImError('IM_LOOKUP_GATEWAY_PUBLISHED', 'a lookup gateway publishes nothing')),
};

/**
 * What the commands or outcomes of one group of runs share in their one unit of work: device
 * lookups, recipient checks and two collections of records, which each command or outcome
 * reaches through the gateways of its section (its place in the group): `publisher` (pushes, which
 * a job may flush inside the transaction when they must go out under its locks) and `afterCommit`
 * (what must not be heard unless the commit held, e.g. an `im.send` result). `publishAfterCommit`
 * sends what is left of both in one publish.
 */
export class Run {
  readonly publisher: CollectingPublisher;
  readonly afterCommit: CollectingPublisher;
  private readonly gateways = new Map<number, PushGateway>();
  private readonly afterCommitGateways = new Map<number, PushGateway>();
  /** The one lookup that checked each recipient (it rejects for all of them when it failed). */
  private readonly recipientChecks = new Map<string, ReturnType<RecipientCheck>>();
  private readonly lookups: PushGateway;

  constructor(
    readonly directory: RunDeviceDirectory,
    bus: EventPublisher,
    private readonly newGateway: (directory: DeviceDirectory, publisher: EventPublisher) => PushGateway,
    private readonly checkRecipients: RecipientCheck,
    private readonly checkSendersAndRecipients: SendersAndRecipientsCheck,
  ) {
    this.lookups = newGateway(directory, LOOKUP_ONLY);
    this.publisher = new CollectingPublisher(bus);
    this.afterCommit = new CollectingPublisher(bus);
  }

  /**
   * The gateway publishing in `section`'s place of `publisher`. Its first use fixes its directory
   * (a command's sender directory, so its result reaches the sending device).
   */
  gateway(section: number, directory: DeviceDirectory = this.directory): PushGateway {
    return this.sectionGateway(this.gateways, this.publisher, section, directory);
  }

  /** The gateway publishing in `section`'s place of `afterCommit`; its first use fixes its directory. */
  afterCommitGateway(section: number, directory: DeviceDirectory = this.directory): PushGateway {
    return this.sectionGateway(this.afterCommitGateways, this.afterCommit, section, directory);
  }

  /** Publishes what `afterCommit` and `publisher` still hold in ONE publish, section by section. */
  publishAfterCommit(): Promise<void> {
    return this.afterCommit.flushWith(this.publisher);
  }

  /** Looks the targets of pushes to be sent later up now, in one lookup (PushGateway.lookUpAhead). */
  lookUpAhead(requests: readonly PushRequest[]): Promise<(readonly Device[])[]> {
    return this.lookups.lookUpAhead(requests);
  }

  /**
   * What a group's im.send commands need before its transaction: their sending devices looked up
   * (directory.lookUpDevices) and their recipients checked (checkAll), in ONE lookup when both
   * are needed (SendersAndRecipientsCheck), else in the one that is.
   */
  async lookUpSendsAhead(
    senders: ReadonlyArray<{ aor: string; deviceId: string }>,
    recipientAors: readonly string[],
  ): Promise<void> {
    const senderAors = this.directory.aorsToLookUp(senders);
    const unchecked = this.unchecked(recipientAors);
    if (senderAors.length === 0 || unchecked.length === 0) {
      await Promise.all([this.directory.lookUpDevices(senders), this.checkAll(recipientAors)]);
      return;
    }
    const both = this.checkSendersAndRecipients(senderAors, unchecked);
    await Promise.all([
      this.directory.lookUpDevices(senders, async () => (await both).devices),
      this.checkAll(unchecked, async () => (await both).refusals),
    ]);
  }

  /**
   * Checks the recipients not checked yet in ONE lookup (`check`, by default the RecipientCheck);
   * each is checked once per group.
   */
  async checkAll(
    recipientAors: readonly string[],
    check: RecipientCheck = this.checkRecipients,
  ): Promise<void> {
    const unchecked = this.unchecked(recipientAors);
    if (unchecked.length === 0) {
      return;
    }
    // The lookup itself is kept, not a promise derived from it per recipient: a derived promise
    // nobody awaits would be an unhandled rejection when the lookup fails (the process dies).
    const checks = check(unchecked);
    for (const aor of unchecked) {
      this.recipientChecks.set(aor, checks);
    }
    await checks;
  }

  private unchecked(recipientAors: readonly string[]): string[] {
    return [...new Set(recipientAors)].filter((aor) => !this.recipientChecks.has(aor));
  }

  private sectionGateway(
    gateways: Map<number, PushGateway>,
    publisher: CollectingPublisher,
    section: number,
    directory: DeviceDirectory,
  ): PushGateway {
    let gateway = gateways.get(section);
    if (gateway === undefined) {
      gateway = this.newGateway(directory, publisher.section(section));
      gateways.set(section, gateway);
    }
    return gateway;
  }

  /** Why a recipient cannot get IMs (undefined when it can). */
  async refusal(recipientAor: string): Promise<RecipientRefusal | undefined> {
    await this.checkAll([recipientAor]);
    const checks = this.recipientChecks.get(recipientAor);
    if (checks === undefined) {
      throw new ImError('IM_RECIPIENT_UNCHECKED', `${recipientAor} was not checked`);
    }
    return (await checks).get(recipientAor);
  }
}
