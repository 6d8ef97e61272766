import { userAorOf } from '#herald/contracts';
import { type DeviceDirectory, PushGateway, type PushRequest } from '../push';
import { type AccountDirectory, type EventPublisher, type UnitOfWork } from '../shared';
import type { RosterRepository } from './ports';
import { PresenceError } from './presence-error';
import type { RosterBuddyView } from './presence-model';
import { RosterService } from './roster-service';
import { SimpleNotifier } from './subscriptions/simple-notifier';
import type { SimpleSubscribers } from './subscriptions/subscription-model';

export interface RosterAdministrationDependencies {
  unitOfWork: UnitOfWork;
  bus: EventPublisher;
  rosters: RosterRepository;
  /** Whether a user exists (and is enabled), as for roster.add. */
  accounts: AccountDirectory;
  devices: DeviceDirectory;
  /** SIMPLE subscribers: a removed buddy's subscriptions end with a NOTIFY (protocol.md §7). */
  simple: SimpleSubscribers;
  sipDomain: string;
}

/**
 * Rosters as an operator changes them: through the same state machine (RosterService) and the
 * same pushes and NOTIFYs as the users' own commands, so their devices and watchers see the
 * change as if a user had made it. Pushes go out before commit, as for a command.
 */
export class RosterAdministration {
  private readonly roster: RosterService;
  private readonly pushes: PushGateway;
  private readonly simple: SimpleNotifier;

  constructor(private readonly deps: RosterAdministrationDependencies) {
    this.roster = new RosterService({ rosters: deps.rosters, accounts: deps.accounts });
    this.pushes = new PushGateway({ directory: deps.devices, bus: deps.bus });
    this.simple = new SimpleNotifier({ ...deps.simple, bus: deps.bus });
  }

  /** The user's roster with each accepted buddy's presence. */
  async list(user: string): Promise<{ aor: string; buddies: RosterBuddyView[] }> {
    const aor = this.aorOf(user);
    await this.requireUser(aor);
    return this.deps.unitOfWork.run(async (tx) => ({
      aor,
      buddies: await this.deps.rosters.rosterOf(tx, aor),
    }));
  }

  /** Makes the two users buddies (adds the pair, or accepts a pending request); returns `user`'s roster. */
  async pair(user: string, buddy: string): Promise<{ aor: string; buddies: RosterBuddyView[] }> {
    const [aor, buddyAor] = [this.aorOf(user), this.aorOf(buddy)];
    return this.deps.unitOfWork.run(async (tx) => {
      await this.send(await this.roster.befriend(tx, aor, buddyAor));
      return { aor, buddies: await this.deps.rosters.rosterOf(tx, aor) };
    });
  }

  /** Removes the pair both ways, as `roster.remove` does; both users' devices get their new roster. */
  async remove(user: string, buddy: string): Promise<void> {
    const [aor, buddyAor] = [this.aorOf(user), this.aorOf(buddy)];
    await this.requireUser(aor);
    await this.deps.unitOfWork.run(async (tx) => {
      const followUps = await this.roster.remove(tx, aor, buddyAor);
      await this.simple.endBetween(tx, aor, buddyAor);
      await this.send(followUps);
    });
  }

  private aorOf(user: string): string {
    const aor = userAorOf(this.deps.sipDomain, user);
    if (aor === undefined) {
      throw new PresenceError(
        'PRESENCE_INVALID_USER',
        `${user} is neither a username nor an AOR of ${this.deps.sipDomain}`,
      );
    }
    return aor;
  }

  /** A disabled user counts as unknown here too, as for roster.add. */
  private async requireUser(aor: string): Promise<void> {
    if (!(await this.deps.accounts.exists(aor))) {
      throw new PresenceError('PRESENCE_UNKNOWN_USER', `${aor} is not a user`);
    }
  }

  private async send(requests: readonly PushRequest[]): Promise<void> {
    if (requests.length > 0) await this.pushes.send(requests);
  }
}
