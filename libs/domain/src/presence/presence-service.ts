import {
  type CommandReceivedV1,
  type DeviceRegisteredV1,
  type DeviceUnregisteredV1,
  errorResult,
  isOwnedCommand,
  notOwnedMessage,
  okResult,
  type OwnedCommand,
  parseCommandObject,
  type ResultPush,
  ResultPushSchema,
  type SessionEndedV1,
  type SessionStartedV1,
} from '#herald/contracts';
import { type DeviceDirectory, PushGateway, type PushRequest } from '../push';
import {
  type AccountDirectory,
  canonicalAor,
  type IdempotencyStore,
  processOnce,
  type Transaction,
  type UnitOfWork,
  type EventPublisher,
} from '../shared';
import { CommandSenderDirectory } from './command-sender-directory';
import type { PresenceRepository, RosterRepository } from './ports';
import { PresenceError } from './presence-error';
import type { DeviceEvent } from './presence-model';
import { loginSnapshotOf } from './presence-pushes';
import { PresenceTracker } from './presence-tracker';
import { RosterService } from './roster-service';
import { SimpleNotifier } from './subscriptions/simple-notifier';
import type { SubscriptionRepository } from './subscriptions/subscription-model';

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
  /** SIMPLE subscriptions: changes are NOTIFYed to them too (protocol.md §7). */
  subscriptions?: SubscriptionRepository;
  /** Push ids (default random UUIDs). */
  newPushId?: () => string;
}

/** A command's result and the pushes it causes for others. */
interface Executed {
  result: ResultPush;
  followUps: PushRequest[];
}

/** A stored result that is not a result push cannot be re-sent. */
export class StoredResultError extends Error {
  readonly code = 'PRESENCE_STORED_RESULT_INVALID';
}

function storedResultOf(commandId: string, stored: unknown): ResultPush {
  const parsed = ResultPushSchema.safeParse(stored);
  if (!parsed.success) {
    throw new StoredResultError(`stored result of ${commandId} is not a result push`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
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
    const { subscriptions, bus } = deps;
    this.simple = subscriptions === undefined ? undefined : new SimpleNotifier({ subscriptions, bus });
  }

  /**
   * Handles a command of sip.command-received.presence.v1: exactly one result to its device (one
   * the edge should have sent elsewhere is answered `bad-request`, not dropped).
   */
  async handleCommand(event: CommandReceivedV1): Promise<void> {
    const { envelope } = event;
    const aor = canonicalAor(event.aor);
    const senders = new CommandSenderDirectory(this.deps.directory, event);
    const replies = this.gatewayFor(senders);
    const reply = (result: ResultPush) =>
      replies.send([
        {
          origin: 'presence',
          target: { kind: 'device', aor: event.aor, deviceId: event.deviceId },
          push: result,
        },
      ]);
    const parsed = parseCommandObject(envelope);
    if (parsed.kind !== 'command') {
      const code = parsed.kind === 'invalid-command' ? parsed.code : 'bad-request';
      const message = parsed.kind === 'bad-envelope' ? parsed.reason : parsed.message;
      await reply(errorResult(envelope.type, envelope.id, code, message));
      return;
    }
    const command = parsed.command;
    if (!isOwnedCommand(PRESENCE_SERVICE, command)) {
      await reply(
        errorResult(command.type, command.id, 'bad-request', notOwnedMessage(command.type, PRESENCE_SERVICE)),
      );
      return;
    }
    // Looked up once: the result push to the same device reuses it.
    const device = await senders.registeredSender();
    if (device === undefined || device.carrier === 'PLAIN') {
      await reply(errorResult(command.type, command.id, 'not-logged-in', 'log in first'));
      return;
    }
    const outcome = await processOnce(
      this.deps.unitOfWork,
      this.deps.idempotency,
      { service: PRESENCE_SERVICE, aor, commandId: command.id },
      async (tx) => {
        const { result, followUps } = await this.execute(tx, aor, command, event);
        // Pushes to others go out before commit: a broker failure rolls the command back and it
        // is retried whole, instead of a committed change never reaching anyone.
        if (followUps.length > 0) {
          await this.pushes.send(followUps);
        }
        return result;
      },
      okResult(command.type, command.id),
    );
    // The result goes out after commit, so a client that reads after it sees the effect; if the
    // publish fails the record is retried and the duplicate re-sends the stored result.
    await reply(outcome.duplicate ? storedResultOf(command.id, outcome.storedResult) : outcome.result);
  }

  /** A device logged in: its status counts, and it gets roster, buddies' presence, requests. */
  async sessionStarted(event: SessionStartedV1): Promise<void> {
    const aor = canonicalAor(event.aor);
    await this.deps.unitOfWork.run(async (tx) => {
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
