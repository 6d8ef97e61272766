import {
  canonicalAor,
  type CommandReceivedV1,
  type DeviceRegisteredV1,
  type DeviceUnregisteredV1,
  errorResult,
  okResult,
  type OwnedCommand,
  type ResultPush,
  type SessionEndedV1,
  type SessionStartedV1,
} from '#herald/contracts';
import {
  CommandSenderDirectory,
  type DeviceDirectory,
  PushGateway,
  type PushRequest,
  resultRequest,
} from '../push';
import {
  type AccountDirectory,
  type EventPublisher,
  type IdempotencyStore,
  parseOwnedCommand,
  runCommandOnce,
  storedResultPush,
  type Transaction,
  type UnitOfWork,
} from '../shared';
import type { PresenceRepository, RosterRepository } from './ports';
import { PresenceError } from './presence-error';
import type { DeviceEvent } from './presence-model';
import { loginSnapshotOf } from './presence-pushes';
import { PresenceTracker } from './presence-tracker';
import { RosterService } from './roster-service';
import { SimpleNotifier } from './subscriptions/simple-notifier';
import type { SimpleSubscribers } from './subscriptions/subscription-model';

/** The idempotency-store name of this service, its push origin and command owner. */
export const PRESENCE_SERVICE = 'presence';

/** The commands presence owns (COMMAND_OWNERS; architecture.md, Commands and where they go). */
export type PresenceCommand = OwnedCommand<typeof PRESENCE_SERVICE>;

export interface PresenceServiceDependencies {
  unitOfWork: UnitOfWork;
  idempotency: IdempotencyStore;
  rosters: RosterRepository;
  presence: PresenceRepository;
  accounts: AccountDirectory;
  directory: DeviceDirectory;
  bus: EventPublisher;
  /** SIMPLE subscribers: changes are NOTIFYed to them too (protocol.md §7). */
  simple?: SimpleSubscribers;
  /** Push ids (default random UUIDs). */
  newPushId?: () => string;
}

/** A command's result and the pushes it causes for others. */
interface Executed {
  result: ResultPush;
  followUps: PushRequest[];
}

/**
 * The presence service: roster commands, per-device status, aggregate presence and its fan-out,
 * and the login snapshot. Every entry point runs in one transaction and awaits its publishes.
 */
export class PresenceService {
  private readonly pushes: PushGateway;
  private readonly tracker: PresenceTracker;
  private readonly roster: RosterService;
  private readonly simple: SimpleNotifier | undefined;

  constructor(private readonly deps: PresenceServiceDependencies) {
    this.pushes = this.gatewayFor(deps.directory);
    this.tracker = new PresenceTracker({ ...deps, pushes: this.pushes });
    this.roster = new RosterService(deps);
    this.simple =
      deps.simple === undefined ? undefined : new SimpleNotifier({ ...deps.simple, bus: deps.bus });
  }

  /**
   * Handles a command of sip.command-received.presence.v1: exactly one result to its device (one
   * the edge should have sent elsewhere is answered `bad-request`, not dropped).
   */
  async handleCommand(event: CommandReceivedV1): Promise<void> {
    const aor = canonicalAor(event.aor);
    const senders = new CommandSenderDirectory(this.deps.directory, event);
    const replies = this.gatewayFor(senders);
    const reply = (result: ResultPush) => replies.send([resultRequest(PRESENCE_SERVICE, event, result)]);
    const parsed = parseOwnedCommand(PRESENCE_SERVICE, event.envelope);
    if (parsed.kind === 'refused') {
      await reply(parsed.result);
      return;
    }
    const { command } = parsed;
    const key = { service: PRESENCE_SERVICE, aor, commandId: command.id };
    // Looked up once: the result push to the same device reuses it.
    const device = await senders.registeredSender();
    if (device === undefined || device.carrier === 'PLAIN') {
      // The refusal is the command's one result (protocol.md §3: once per AOR and id): a copy
      // re-sent after a login gets it again, and a copy handled before its sender's session
      // ended (redelivered after a broker restart) keeps the result it got then.
      const refusal = errorResult(command.type, command.id, 'not-logged-in', 'log in first');
      await runCommandOnce(this.deps, {
        key,
        effect: () => Promise.resolve(refusal),
        expectedResult: refusal,
        parseStored: (stored) => storedResultPush(key, stored),
        reply,
      });
      return;
    }
    await runCommandOnce(this.deps, {
      key,
      effect: async (tx) => {
        const { result, followUps } = await this.execute(tx, aor, command, event);
        // Pushes to others go out before commit: a broker failure rolls the command back and it
        // is retried whole, instead of a committed change never reaching anyone.
        if (followUps.length > 0) {
          await this.pushes.send(followUps);
        }
        return result;
      },
      expectedResult: okResult(command.type, command.id),
      parseStored: (stored) => storedResultPush(key, stored),
      reply,
    });
  }

  /** A device logged in: its status counts, and it gets roster, buddies' presence, requests. */
  async sessionStarted(event: SessionStartedV1): Promise<void> {
    const aor = canonicalAor(event.aor);
    await this.deps.unitOfWork.run(async (tx) => {
      await this.deps.rosters.lockWithBuddies(tx, aor);
      await this.tracker.changeDevice(tx, aor, {
        kind: 'status',
        deviceId: event.deviceId,
        status: event.status,
        ...(event.note === undefined ? {} : { note: event.note }),
        at: new Date(event.at),
      });
      const snapshot = loginSnapshotOf(await this.deps.rosters.rosterOf(tx, aor));
      const target = { kind: 'device', aor: event.aor, deviceId: event.deviceId } as const;
      await this.pushes.send(snapshot.map((push) => ({ origin: 'presence', target, push })));
    });
  }

  sessionEnded(event: SessionEndedV1): Promise<void> {
    return this.changeDevice(event.aor, {
      kind: 'session-ended',
      deviceId: event.deviceId,
      at: new Date(event.at),
    });
  }

  deviceRegistered(event: DeviceRegisteredV1): Promise<void> {
    return this.changeDevice(event.aor, {
      kind: 'registered',
      created: event.created,
      deviceId: event.deviceId,
      at: new Date(event.at),
    });
  }

  deviceUnregistered(event: DeviceUnregisteredV1): Promise<void> {
    return this.changeDevice(event.aor, {
      kind: 'unregistered',
      deviceId: event.deviceId,
      at: new Date(event.at),
    });
  }

  private async changeDevice(aor: string, event: DeviceEvent): Promise<void> {
    await this.deps.unitOfWork.run((tx) => this.tracker.changeDevice(tx, canonicalAor(aor), event));
  }

  private async execute(
    tx: Transaction,
    aor: string,
    command: PresenceCommand,
    event: CommandReceivedV1,
  ): Promise<Executed> {
    try {
      const followUps = await this.effect(tx, aor, command, event);
      return { result: okResult(command.type, command.id), followUps };
    } catch (error) {
      if (error instanceof PresenceError) {
        return {
          result: errorResult(command.type, command.id, error.resultCode, error.message),
          followUps: [],
        };
      }
      throw error;
    }
  }

  private async effect(
    tx: Transaction,
    aor: string,
    command: PresenceCommand,
    event: CommandReceivedV1,
  ): Promise<PushRequest[]> {
    switch (command.type) {
      case 'roster.get':
        return [
          {
            origin: 'presence',
            target: { kind: 'device', aor: event.aor, deviceId: event.deviceId },
            push: await this.roster.rosterPush(tx, aor),
          },
        ];
      case 'roster.add':
        return this.roster.add(tx, aor, command.uri, { name: command.name, group: command.group });
      case 'roster.update':
        return this.roster.update(tx, aor, command.uri, { name: command.name, group: command.group });
      case 'roster.remove': {
        const followUps = await this.roster.remove(tx, aor, command.uri);
        await this.simple?.endBetween(tx, aor, canonicalAor(command.uri));
        return followUps;
      }
      case 'buddy.answer':
        return this.roster.answer(tx, aor, command.from, command.accept);
      case 'presence.set':
        await this.tracker.changeDevice(tx, aor, {
          kind: 'status',
          deviceId: event.deviceId,
          status: command.status,
          ...(command.note === undefined ? {} : { note: command.note }),
          at: new Date(event.receivedAt),
        });
        return [];
    }
  }

  private gatewayFor(directory: DeviceDirectory): PushGateway {
    return new PushGateway({
      directory,
      bus: this.deps.bus,
      ...(this.deps.newPushId === undefined ? {} : { newPushId: this.deps.newPushId }),
    });
  }
}
