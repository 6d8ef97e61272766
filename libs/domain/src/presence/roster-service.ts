import { buddyRequestPush, type RosterPush, canonicalAor } from '#herald/contracts';
import type { PushRequest } from '../push';
import { type AccountDirectory, type Transaction } from '../shared';
import type { RosterPair, RosterRepository } from './ports';
import { PresenceError } from './presence-error';
import type { RosterBuddyView, RosterEntry } from './presence-model';
import { presencePushOf, rosterPushOf } from './presence-pushes';

export interface RosterServiceDependencies {
  rosters: RosterRepository;
  accounts: AccountDirectory;
}

export interface BuddyLabel {
  name?: string;
  group?: string;
}

/**
 * The roster state machine (protocol.md §4): add -> pending-out / pending-in, accept -> both,
 * refuse or remove -> gone both ways. Each method runs inside the command's transaction, throws
 * PresenceError before writing anything, and returns the pushes for other users and devices. A
 * change is also pushed as `roster` to every device of the user who made it, so the sender and its
 * other devices need no `roster.get` (protocol.md allows pushes it does not list: docs/protocol.md).
 */
export class RosterService {
  constructor(private readonly deps: RosterServiceDependencies) {}

  async rosterPush(tx: Transaction, ownerAor: string): Promise<RosterPush> {
    return rosterPushOf(await this.deps.rosters.rosterOf(tx, ownerAor));
  }

  /** The owner's roster for every device of the owner. */
  private async ownRosterPush(tx: Transaction, ownerAor: string): Promise<PushRequest> {
    return {
      origin: 'presence',
      target: { kind: 'aor', aor: ownerAor },
      push: await this.rosterPush(tx, ownerAor),
    };
  }

  async add(tx: Transaction, ownerAor: string, uri: string, label: BuddyLabel): Promise<PushRequest[]> {
    const buddyAor = canonicalAor(uri);
    if (buddyAor === ownerAor) {
      throw new PresenceError('PRESENCE_SELF_BUDDY', 'you cannot add yourself');
    }
    const pair = await this.deps.rosters.lockPair(tx, ownerAor, buddyAor);
    if (pair.forward?.state === 'pending-in') {
      // Adding someone who already asked for you is accepting their request.
      return this.accept(tx, ownerAor, buddyAor, pair, label);
    }
    if (pair.forward !== undefined) {
      throw new PresenceError('PRESENCE_ALREADY_IN_ROSTER', `${buddyAor} is already in the roster`);
    }
    if (!(await this.deps.accounts.exists(buddyAor))) {
      throw new PresenceError('PRESENCE_UNKNOWN_USER', `${buddyAor} is not a user`);
    }
    await this.deps.rosters.save(tx, [
      { ownerAor, buddyAor, ...label, state: 'pending-out' },
      { ...labelOf(pair.reverse), ownerAor: buddyAor, buddyAor: ownerAor, state: 'pending-in' },
    ]);
    return [
      await this.ownRosterPush(tx, ownerAor),
      {
        origin: 'presence',
        target: { kind: 'aor', aor: buddyAor },
        push: buddyRequestPush({ from: ownerAor }),
      },
    ];
  }

  async answer(tx: Transaction, ownerAor: string, from: string, accept: boolean): Promise<PushRequest[]> {
    const requesterAor = canonicalAor(from);
    const pair = await this.deps.rosters.lockPair(tx, ownerAor, requesterAor);
    if (pair.forward?.state !== 'pending-in') {
      throw new PresenceError('PRESENCE_NO_PENDING_REQUEST', `no pending request from ${requesterAor}`);
    }
    if (accept) {
      return this.accept(tx, ownerAor, requesterAor, pair, {});
    }
    await this.removePair(tx, ownerAor, requesterAor);
    return [];
  }

  async update(tx: Transaction, ownerAor: string, uri: string, label: BuddyLabel): Promise<PushRequest[]> {
    const buddyAor = canonicalAor(uri);
    const { forward } = await this.deps.rosters.lockPair(tx, ownerAor, buddyAor);
    if (forward === undefined) {
      throw new PresenceError('PRESENCE_NOT_IN_ROSTER', `${buddyAor} is not in the roster`);
    }
    await this.deps.rosters.save(tx, [{ ...forward, ...definedLabel(label) }]);
    return [await this.ownRosterPush(tx, ownerAor)];
  }

  /**
   * Makes two users buddies at once, whatever lies between them (nothing, a request either way):
   * the operator's add-or-accept. Announced as an accept is; nothing when they already are buddies.
   */
  async befriend(tx: Transaction, a: string, b: string): Promise<PushRequest[]> {
    if (a === b) {
      throw new PresenceError('PRESENCE_SELF_BUDDY', 'a user cannot be their own buddy');
    }
    const pair = await this.deps.rosters.lockPair(tx, a, b);
    if (pair.forward?.state === 'both' && pair.reverse?.state === 'both') {
      return [];
    }
    for (const aor of [a, b]) {
      if (!(await this.deps.accounts.exists(aor))) {
        throw new PresenceError('PRESENCE_UNKNOWN_USER', `${aor} is not a user`);
      }
    }
    return this.accept(tx, a, b, pair, {});
  }

  /** Removes the buddy both ways; both users' devices get their new roster. */
  async remove(tx: Transaction, ownerAor: string, uri: string): Promise<PushRequest[]> {
    const buddyAor = canonicalAor(uri);
    const { forward } = await this.deps.rosters.lockPair(tx, ownerAor, buddyAor);
    if (forward === undefined) {
      throw new PresenceError('PRESENCE_NOT_IN_ROSTER', `${buddyAor} is not in the roster`);
    }
    await this.removePair(tx, ownerAor, buddyAor);
    return [
      await this.ownRosterPush(tx, ownerAor),
      {
        origin: 'presence',
        target: { kind: 'aor', aor: buddyAor },
        push: await this.rosterPush(tx, buddyAor),
      },
    ];
  }

  /** Both entries become `both`; both rosters are pushed, then each user's presence to the other. */
  private async accept(
    tx: Transaction,
    ownerAor: string,
    requesterAor: string,
    pair: RosterPair,
    label: BuddyLabel,
  ): Promise<PushRequest[]> {
    const { rosters } = this.deps;
    await rosters.save(tx, [
      { ...labelOf(pair.forward), ...definedLabel(label), ownerAor, buddyAor: requesterAor, state: 'both' },
      { ...labelOf(pair.reverse), ownerAor: requesterAor, buddyAor: ownerAor, state: 'both' },
    ]);
    // The new buddies (the owner's buddies now) were no watchers of a change in flight: wait for it.
    await rosters.lockWithBuddies(tx, ownerAor);
    const ownerRoster = await rosters.rosterOf(tx, ownerAor);
    const requesterRoster = await rosters.rosterOf(tx, requesterAor);
    return [
      { origin: 'presence', target: { kind: 'aor', aor: ownerAor }, push: rosterPushOf(ownerRoster) },
      { origin: 'presence', target: { kind: 'aor', aor: requesterAor }, push: rosterPushOf(requesterRoster) },
      ...presenceOf(ownerRoster, requesterAor).map((push): PushRequest => ({
        origin: 'presence',
        target: { kind: 'aor', aor: ownerAor },
        push,
      })),
      ...presenceOf(requesterRoster, ownerAor).map((push): PushRequest => ({
        origin: 'presence',
        target: { kind: 'aor', aor: requesterAor },
        push,
      })),
    ];
  }

  private removePair(tx: Transaction, a: string, b: string): Promise<void> {
    return this.deps.rosters.remove(tx, [
      { ownerAor: a, buddyAor: b },
      { ownerAor: b, buddyAor: a },
    ]);
  }
}

/** The presence push of `buddyAor` as seen in `roster`. */
function presenceOf(roster: readonly RosterBuddyView[], buddyAor: string) {
  return roster.filter((e) => e.buddyAor === buddyAor).map((e) => presencePushOf(buddyAor, e.presence));
}

function labelOf(entry: RosterEntry | undefined): BuddyLabel {
  return definedLabel({ name: entry?.name, group: entry?.group });
}

/** Only the label fields that are set, so an update leaves the others as they are. */
function definedLabel(label: BuddyLabel): BuddyLabel {
  return {
    ...(label.name === undefined ? {} : { name: label.name }),
    ...(label.group === undefined ? {} : { group: label.group }),
  };
}
