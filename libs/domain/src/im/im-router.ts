import type { CommandReceivedV1, DeviceRegisteredV1, PushOutcomeV1 } from '#herald/contracts';
import { ImGroups } from './im-groups';
import { ImRouting, type ImRouterDependencies } from './im-routing';
import { ImSend } from './im-send';
import { ImSettle } from './im-settle';
import { OfflineDelivery } from './offline-delivery';
import { PlainDeviceSweep } from './plain-device-sweep';

/**
 * im.send, delivery to every device of the recipient, receipts and the offline store
 * (protocol.md §4–5, §7), one job per class: ImSend, ImSettle, OfflineDelivery, PlainDeviceSweep.
 *
 * A message is pending for its recipient (user, not device) until any device answers a push of
 * it with 200 OK; a pending message is pushed again, marked offline, to each device that logs in,
 * and as text/plain to each new binding that stays a plain SIP device. An `im.send`'s pushes go
 * out with its result and `im.status` in ONE publish after the commit that records them (so every
 * outcome finds its push, and nothing is heard of an IM a failed commit lost); a redelivered
 * `im.send` pushes again each IM whose push has no outcome, under the same push id, in case that
 * publish was lost; `delivered` goes out likewise (a redelivered answer tells it again). Commands
 * and outcomes handled concurrently share one group (ImGroups). Pushes to plain SIP devices (which
 * cannot drop a repeat), at a login and `stored` go out inside their transaction, under the
 * recipient's lock
 * (MessageStore.lockRecipients, taken by MessageStore.claimAndInsertAll for new IMs).
 */
export class ImRouter {
  private readonly settles: ImSettle;
  private readonly groups: ImGroups;
  private readonly offline: OfflineDelivery;
  private readonly plainDevices: PlainDeviceSweep;

  constructor(dependencies: ImRouterDependencies) {
    const routing = new ImRouting(dependencies);
    this.settles = new ImSettle(routing);
    this.groups = new ImGroups(routing, new ImSend(routing), this.settles);
    this.offline = new OfflineDelivery(routing);
    this.plainDevices = new PlainDeviceSweep(routing, this.offline);
  }

  /** handleCommands of one command. */
  handleCommand(event: CommandReceivedV1): Promise<void> {
    return this.handleCommands([event]);
  }

  /**
   * A run of one sender's im.send commands (on sip.command-received.im-router.v1; another type is
   * answered `bad-request`, not dropped), grouped with concurrent runs of commands and outcomes
   * (ImGroups, ImSend): exactly one result to each command's device, in command order. Resolves
   * once the run's group is committed and its results published.
   */
  handleCommands(events: ReadonlyArray<CommandReceivedV1>): Promise<void> {
    return this.groups.submit({ kind: 'send', commands: events });
  }

  /** settleAll of one outcome. */
  settle(outcome: PushOutcomeV1): Promise<void> {
    return this.settleAll([outcome]);
  }

  /**
   * A run of one recipient's outcomes of im-router's pushes, those of IM deliveries settled
   * (ImSettle; results and im.status are skipped), grouped with concurrent runs of commands and
   * outcomes (ImGroups). Resolves once the run's group is committed and its notices published.
   */
  settleAll(outcomes: ReadonlyArray<PushOutcomeV1>): Promise<void> {
    return this.groups.submit({ kind: 'settle', outcomes: this.settles.deliveriesOf(outcomes) });
  }

  /** OfflineDelivery.deliverStored: a device logged in. */
  deliverStored(recipientAor: string, deviceId: string, sessionStartedAt: Date): Promise<void> {
    return this.offline.deliverStored(recipientAor, deviceId, sessionStartedAt);
  }

  /** PlainDeviceSweep.deviceRegistered: a new binding. */
  deviceRegistered(event: DeviceRegisteredV1): Promise<void> {
    return this.plainDevices.deviceRegistered(event);
  }

  /** PlainDeviceSweep.deliverToPlainDevices: serves devices whose login grace is over. */
  deliverToPlainDevices(limit?: number): Promise<number> {
    return this.plainDevices.deliverToPlainDevices(limit);
  }
}
