import {
  canonicalAor,
  type CommandOf,
  type CommandReceivedV1,
  type ErrorCode,
  errorResult,
  okResult,
  type OwnedCommand,
  type Profile,
  profilePush,
  type ResultPush,
  sessionEndedV1,
  sessionStartedV1,
} from '#herald/contracts';
import {
  CommandSenderDirectory,
  type DeviceDirectory,
  PushGateway,
  type PushRequest,
  resultRequest,
} from '../push';
import {
  type EventPublisher,
  type IdempotencyStore,
  parseOwnedCommand,
  runCommandOnce,
  storedResultPush,
  type Transaction,
  type UnitOfWork,
} from '../shared';
import { changedProfile } from './account';
import { AuthError } from './auth-error';
import { type CommandOutputs, deserializeRecord, parseOutputs, serializeRecord } from './command-outputs';
import type { AccountRepository, RegistrationRepository, SessionRepository } from './ports';

/** Service name of auth's idempotency records, push origin and command owner. */
export const AUTH_SERVICE = 'auth';

/** The commands auth owns (COMMAND_OWNERS; architecture.md, Commands and where they go). */
type AuthCommand = OwnedCommand<typeof AUTH_SERVICE>;

export interface AuthCommandDependencies {
  unitOfWork: UnitOfWork;
  idempotency: IdempotencyStore;
  bus: EventPublisher;
  accounts: AccountRepository;
  registrations: RegistrationRepository;
  sessions: SessionRepository;
  directory: DeviceDirectory;
  newPushId?: () => string;
  now?: () => Date;
}

/** The reply to one command: its result, and for profile commands the `profile` push before it. */
interface CommandReply {
  result: ResultPush;
  profile?: { profile: Profile; to: 'sender' | 'all-devices' };
}

/**
 * Device sessions and the user's profile: `login`, `logout`, `profile.get`, `profile.set`, and
 * the `unknown-type` answer to every type no service owns. Each command runs once per
 * (AOR, command id) and gets exactly one `<type>.result`.
 */
export class AuthCommandService {
  private readonly deps: AuthCommandDependencies;
  private readonly now: () => Date;

  constructor(dependencies: AuthCommandDependencies) {
    this.deps = dependencies;
    this.now = dependencies.now ?? (() => new Date());
  }

  /**
   * Handles a command of sip.command-received.auth.v1: a type auth owns, or one nobody owns. Each
   * gets its result; one the edge should have sent elsewhere is answered `bad-request`, not dropped.
   */
  async handle(command: CommandReceivedV1): Promise<void> {
    const parsed = parseOwnedCommand(AUTH_SERVICE, command.envelope);
    const effect =
      parsed.kind === 'command'
        ? (tx: Transaction) => this.execute(tx, command, parsed.command, this.now())
        : () => Promise.resolve({ reply: { result: parsed.result }, events: [] });
    const aor = canonicalAor(command.aor);
    const key = { service: AUTH_SERVICE, aor, commandId: command.envelope.id };
    const gateway = new PushGateway({
      directory: new CommandSenderDirectory(this.deps.directory, command, 'as-sent'),
      bus: this.deps.bus,
      newPushId: this.deps.newPushId,
      now: this.now,
    });
    const sender = { kind: 'device', aor: command.aor, deviceId: command.deviceId } as const;
    await runCommandOnce<CommandOutputs<CommandReply>>(this.deps, {
      key,
      effect,
      parseStored: (stored) =>
        parseOutputs(stored, (reply) => ({ result: storedResultPush(key, resultIn(reply)) })),
      // The events are published after commit too: their consumers (presence, im-router) read the
      // committed sessions through the DeviceDirectory.
      reply: async ({ reply, events }) => {
        const requests: PushRequest[] = [];
        if (reply.profile !== undefined) {
          const target = reply.profile.to === 'sender' ? sender : ({ kind: 'aor', aor } as const);
          requests.push({ origin: AUTH_SERVICE, target, push: profilePush(reply.profile.profile) });
        }
        requests.push(resultRequest(AUTH_SERVICE, command, reply.result));
        await gateway.send(requests, { alsoPublish: events.map(deserializeRecord) });
        if (events.length > 0) {
          // The events stay stored until the bus acknowledged them, so a redelivery after a crash
          // between commit and publish publishes them, while a late duplicate never re-announces
          // an old change. Losing this write in a database crash only lets a redelivery publish
          // them again.
          await this.deps.unitOfWork.runSingleStatement((tx) =>
            this.deps.idempotency.storeResultUnflushed(tx, key, { reply, events: [] }),
          );
        }
      },
    });
  }

  private async execute(
    tx: Transaction,
    command: CommandReceivedV1,
    request: AuthCommand,
    at: Date,
  ): Promise<CommandOutputs<CommandReply>> {
    const aor = canonicalAor(command.aor);
    const { deviceId } = command;
    if (request.type === 'login') {
      return this.login(tx, command, request, at);
    }
    const session = await this.deps.sessions.find(tx, aor, deviceId);
    if (session === undefined) {
      return failure(request, 'not-logged-in', 'log in first');
    }
    switch (request.type) {
      case 'logout': {
        await this.deps.sessions.remove(tx, aor, deviceId);
        const ended = sessionEndedV1.build({ aor, deviceId, carrier: session.carrier, reason: 'logout' }, at);
        return {
          reply: { result: okResult('logout', request.id) },
          events: [serializeRecord(sessionEndedV1.record(ended))],
        };
      }
      case 'profile.get': {
        const account = await this.account(tx, aor, false);
        return {
          reply: {
            result: okResult('profile.get', request.id),
            profile: { profile: account.profile, to: 'sender' },
          },
          events: [],
        };
      }
      case 'profile.set': {
        const account = await this.account(tx, aor, true);
        const profile = changedProfile(account.profile, {
          displayName: request.displayName,
          settings: request.settings,
        });
        await this.deps.accounts.update(tx, { ...account, profile, updatedAt: at });
        // Every logged-in device of the user gets the new profile, so they stay in step.
        return {
          reply: { result: okResult('profile.set', request.id), profile: { profile, to: 'all-devices' } },
          events: [],
        };
      }
    }
  }

  private async login(
    tx: Transaction,
    command: CommandReceivedV1,
    request: CommandOf<'login'>,
    at: Date,
  ): Promise<CommandOutputs<CommandReply>> {
    const aor = canonicalAor(command.aor);
    const { deviceId } = command;
    const registration = await this.deps.registrations.find(tx, aor, deviceId);
    if (registration === undefined || registration.expiresAt <= at) {
      return failure(request, 'not-allowed', 'the device is not registered');
    }
    const account = await this.account(tx, aor, false);
    if (account.disabled) {
      return failure(request, 'not-allowed', 'the account is disabled');
    }
    const carrier = command.carrier === 'INFO' ? 'INFO' : 'MESSAGE';
    await this.deps.sessions.save(tx, {
      aor,
      deviceId,
      carrier,
      status: request.status,
      note: request.note,
      device: request.device,
      startedAt: at,
    });
    const started = sessionStartedV1.build(
      { aor, deviceId, carrier, status: request.status, note: request.note },
      at,
    );
    return {
      reply: { result: okResult('login', request.id, { user: aor, profile: account.profile }) },
      events: [serializeRecord(sessionStartedV1.record(started))],
    };
  }

  private async account(tx: Transaction, aor: string, lock: boolean) {
    const account = await this.deps.accounts.findByAor(tx, aor, { lock });
    if (account === undefined) {
      // A registered device whose account was deleted meanwhile: retried until the binding is gone.
      throw new AuthError('AUTH_ACCOUNT_NOT_FOUND', `no account for ${aor}`);
    }
    return account;
  }
}

function failure(request: AuthCommand, code: ErrorCode, message: string): CommandOutputs<CommandReply> {
  return { reply: { result: errorResult(request.type, request.id, code, message) }, events: [] };
}

/** The stored result push of a stored reply; a duplicate re-sends it alone, not the profile push. */
function resultIn(reply: unknown): unknown {
  return typeof reply === 'object' && reply !== null && 'result' in reply ? reply.result : undefined;
}
