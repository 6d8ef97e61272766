import {
  type CommandOf,
  type CommandReceivedV1,
  type DeviceRegisteredV1,
  type ErrorCode,
  errorResult,
  imPush,
  imStatusPush,
  type ImStatusPush,
  messageAcceptedV1,
  okResult,
  parseCommandObject,
  type PushOutcomeV1,
  type ResultPush,
  ResultPushSchema,
} from '#herald/contracts';
import type { EventBus } from '#herald/bus';
import { CommandSenderDirectory } from '../presence';
import { type DeviceDirectory, PushGateway, type PushRequest, type SentPush } from '../push';
import {
  type AccountDirectory,
  aorDomain,
  canonicalAor,
  type IdempotencyStore,
  processOnce,
  type Transaction,
  type UnitOfWork,
} from '../shared';
import { ImError } from './im-error';
import { derivedMessageId, type StoredMessage } from './message';
import type { InFlightFilter, MessageStore, PlainDeviceQueue } from './ports';

export const IM_ROUTER_ORIGIN = 'im-router';
/**
 * Starts the pushId of every IM delivery: outcomes of im-router's other pushes (results,
 * im.status) are skipped without a transaction.
 */
export const IM_DELIVERY_PUSH_ID_PREFIX = 'im-';
/** How long a new registration has to log in before it is offered stored IMs as a plain SIP device. */
export const PLAIN_DEVICE_LOGIN_GRACE_MS = 5_000;
/** Plain SIP devices served per transaction of `deliverToPlainDevices`. */
export const PLAIN_DEVICE_BATCH_SIZE = 100;

/** The device an im.send came from. */
interface CommandSource {
  aor: string;
  deviceId: string;
  commandId: string;
  /** When the edge received the command: the IM's `sentAt`, the same on every redelivery. */
  receivedAt: Date;
}

type ImSendCommand = CommandOf<'im.send'>;

/** A well-formed im.send from a logged-in device, with its recipient checked. */
interface CheckedImSend {
  command: ImSendCommand;
  recipientAor: string;
  /** Why the recipient cannot get it, or undefined when it can. */
  refusal: RecipientRefusal | undefined;
  /** The client's messageId, or the one derived from the command. */
  messageId: string;
}

export interface ImRouterDependencies {
  unitOfWork: UnitOfWork;
  idempotency: IdempotencyStore;
  messages: MessageStore;
  plainDevices: PlainDeviceQueue;
  accounts: AccountDirectory;
  /** Logged-in devices (auth's sessions joined with registrations). */
  directory: DeviceDirectory;
  /** Carries pushes to the edges and im.message-accepted.v1. */
  bus: EventBus;
  /** The service's SIP domain: recipients elsewhere are not allowed. */
  sipDomain: string;
  newPushId?: () => string;
  now?: () => Date;
  /** Default PLAIN_DEVICE_LOGIN_GRACE_MS. */
  plainDeviceLoginGraceMs?: number;
}

/** Why an im.send is refused after it was accepted (protocol.md §4: `failed`). */
interface RecipientRefusal {
  code: Extract<ErrorCode, 'not-found' | 'not-allowed'>;
  message: string;
}

/**
 * im.send, delivery to every device of the recipient, receipts and the offline store
 * (protocol.md §4–5, §7).
 *
 * A message is pending for its recipient (user, not device) until any device answers a push of
 * it with 200 OK; a pending message is pushed again, marked offline, to each device that logs in,
 * and as text/plain to each new binding that stays a plain SIP device. Pushes are published
 * inside the transaction that records them, under the recipient's lock (see
 * MessageStore.lockRecipient, taken by MessageStore.insert for a new IM), so every outcome finds
 * its push.
 */
export class ImRouter {
  private readonly deps: ImRouterDependencies;
  private readonly now: () => Date;
  private readonly sipDomain: string;
  private readonly pushes: PushGateway;
  private readonly plainDeviceLoginGraceMs: number;

  constructor(dependencies: ImRouterDependencies) {
    this.deps = dependencies;
    this.now = dependencies.now ?? (() => new Date());
    this.plainDeviceLoginGraceMs = dependencies.plainDeviceLoginGraceMs ?? PLAIN_DEVICE_LOGIN_GRACE_MS;
    this.sipDomain = dependencies.sipDomain.toLowerCase();
    this.pushes = this.gatewayFor(dependencies.directory);
  }

  /**
   * Handles an `im.send` (other command types are ignored): exactly one result to its device.
   * The result is ok with the messageId whenever the command is well formed and its device logged
   * in (or plain SIP); an unknown or foreign recipient is reported after it by `im.status`
   * `failed` (protocol.md §4). Reusing a messageId for other content gets `conflict`.
   */
  async handleCommand(event: CommandReceivedV1): Promise<void> {
    if (event.envelope.type !== 'im.send') {
      return;
    }
    const source: CommandSource = {
      aor: canonicalAor(event.aor),
      deviceId: event.deviceId,
      commandId: event.envelope.id,
      receivedAt: new Date(event.receivedAt),
    };
    // The sender directory reaches the sending device even before it logged in (its error result).
    const senders = new CommandSenderDirectory(this.deps.directory, event);
    const replies = this.gatewayFor(senders);
    const parsed = parseCommandObject(event.envelope);
    if (parsed.kind !== 'command' || parsed.command.type !== 'im.send') {
      const code = parsed.kind === 'invalid-command' ? parsed.code : 'bad-request';
      const message = parsed.kind === 'invalid-command' ? parsed.message : 'not an im.send command';
      await replies.send([
        this.resultRequest(source, errorResult('im.send', source.commandId, code, message)),
      ]);
      return;
    }
    const command = parsed.command;
    const recipientAor = canonicalAor(command.to);
    // Independent reads, outside the transaction: one round trip of waiting instead of two.
    const [loggedIn, refusal] = await Promise.all([
      event.carrier === 'MESSAGE-PLAIN' || this.isLoggedIn(senders),
      this.refusal(recipientAor),
    ]);
    if (!loggedIn) {
      const result = errorResult('im.send', source.commandId, 'not-logged-in', 'log in first');
      await replies.send([this.resultRequest(source, result)]);
      return;
    }
    const messageId = command.messageId ?? derivedMessageId(source.aor, source.commandId);
    const accepted = okResult('im.send', source.commandId, { messageId });
    const outcome = await processOnce(
      this.deps.unitOfWork,
      this.deps.idempotency,
      { service: IM_ROUTER_ORIGIN, aor: source.aor, commandId: source.commandId },
      (tx) => this.accept(tx, replies, source, { command, recipientAor, refusal, messageId }, accepted),
      accepted,
    );
    if (outcome.duplicate) {
      await replies.send([this.resultRequest(source, storedResult(source, outcome.storedResult))]);
    }
  }

  /** Settles an IM push: the first 200 OK of any device tells the sender `delivered`. */
  async settle(outcome: PushOutcomeV1): Promise<void> {
    if (outcome.origin !== IM_ROUTER_ORIGIN || !outcome.pushId.startsWith(IM_DELIVERY_PUSH_ID_PREFIX)) {
      return;
    }
    const at = new Date(outcome.at);
    await this.deps.unitOfWork.run(async (tx) => {
      const { messages } = this.deps;
      await messages.lockRecipient(tx, canonicalAor(outcome.aor));
      const settled = await messages.recordOutcome(tx, outcome.pushId, outcome.outcome, at);
      if (settled === undefined) {
        return;
      }
      const { message } = settled;
      if (outcome.outcome === 'answered') {
        if (settled.firstAnswer) {
          await this.pushes.send([this.statusRequest(message, { state: 'delivered' })]);
        }
      } else if (await messages.markStoredIfUnreachable(tx, message.key, at)) {
        await this.pushes.send([this.statusRequest(message, { state: 'stored' })]);
      }
    });
  }

  /**
   * A device logged in: pushes it every pending IM of its user, oldest first and marked offline.
   */
  async deliverStored(recipientAor: string, deviceId: string, sessionStartedAt: Date): Promise<void> {
    const device = { aor: canonicalAor(recipientAor), deviceId };
    await this.deps.unitOfWork.run(async (tx) => {
      await this.deps.plainDevices.cancel(tx, device);
      // An IM sent live to this session before this event was handled is already on its way.
      await this.deliverPending(tx, device.aor, device.deviceId, { deviceId, since: sessionStartedAt });
    });
  }

  /** A new binding: if it does not log in within the grace period, it is served as plain SIP. */
  async deviceRegistered(event: DeviceRegisteredV1): Promise<void> {
    if (!event.created) {
      return;
    }
    const dueAt = new Date(new Date(event.at).getTime() + this.plainDeviceLoginGraceMs);
    await this.deps.unitOfWork.runSingleStatement((tx) =>
      this.deps.plainDevices.schedule(tx, { aor: canonicalAor(event.aor), deviceId: event.deviceId }, dueAt),
    );
  }

  /**
   * Offers pending IMs to registered devices whose grace period is over (as text/plain MESSAGE
   * when they are still plain; an unregistered device gets nothing). Returns the devices served.
   */
  async deliverToPlainDevices(limit: number = PLAIN_DEVICE_BATCH_SIZE): Promise<number> {
    return this.deps.unitOfWork.run(async (tx) => {
      const due = await this.deps.plainDevices.takeDue(tx, this.now(), limit);
      // One lock order for every transaction that takes several recipient locks.
      due.sort((a, b) => (a.aor < b.aor ? -1 : a.aor > b.aor ? 1 : 0));
      for (const device of due) {
        await this.deliverPending(tx, device.aor, device.deviceId);
      }
      return due.length;
    });
  }

  private async deliverPending(
    tx: Transaction,
    aor: string,
    deviceId: string,
    notInFlightTo?: InFlightFilter,
  ): Promise<void> {
    const { messages } = this.deps;
    await messages.lockRecipient(tx, aor);
    const pending = await messages.pendingFor(tx, aor, notInFlightTo);
    if (pending.length === 0) {
      return;
    }
    const sent = await this.pushes.send(
      pending.map((message) => this.imRequest(message, { kind: 'device', aor, deviceId }, true)),
    );
    await this.recordAttempts(
      tx,
      sent.map((push) => ({ push, message: pending[push.requestIndex] })),
    );
  }

  private async accept(
    tx: Transaction,
    replies: PushGateway,
    source: CommandSource,
    { command, recipientAor, refusal, messageId }: CheckedImSend,
    accepted: ResultPush,
  ): Promise<ResultPush> {
    if (refusal !== undefined) {
      await replies.send([
        this.resultRequest(source, accepted),
        {
          origin: IM_ROUTER_ORIGIN,
          target: { kind: 'aor', aor: source.aor },
          push: imStatusPush({ messageId, state: 'failed', error: refusal }),
        },
      ]);
      return accepted;
    }

    const { messages } = this.deps;
    const { created, message } = await messages.insert(tx, {
      senderAor: source.aor,
      commandId: source.commandId,
      messageId,
      recipientAor,
      text: command.text,
      sentAt: source.receivedAt,
    });
    if (!created) {
      // The same message sent again in a new transaction: its first delivery stands.
      const result =
        message.recipientAor === recipientAor && message.text === command.text
          ? accepted
          : errorResult(
              'im.send',
              source.commandId,
              'conflict',
              'messageId already used for another message',
              {
                messageId,
              },
            );
      await replies.send([this.resultRequest(source, result)]);
      return result;
    }

    const acceptedEvent = messageAcceptedV1.build({
      messageId,
      from: message.senderAor,
      to: recipientAor,
      text: message.text,
      sentAt: message.sentAt.toISOString(),
    });
    // One broker round trip for the result, the deliveries and im.message-accepted.
    const sent = await replies.send(
      [
        this.resultRequest(source, accepted),
        this.imRequest(message, { kind: 'aor', aor: recipientAor }, false),
      ],
      { alsoPublish: [messageAcceptedV1.record(acceptedEvent)] },
    );
    const deliveries = sent.filter((push) => push.requestIndex === 1);
    await this.recordAttempts(
      tx,
      deliveries.map((push) => ({ push, message })),
    );
    if (deliveries.length === 0 && (await messages.markStoredIfUnreachable(tx, message.key, this.now()))) {
      await this.pushes.send([this.statusRequest(message, { state: 'stored' })]);
    }
    return accepted;
  }

  private async refusal(recipientAor: string): Promise<RecipientRefusal | undefined> {
    if (aorDomain(recipientAor) !== this.sipDomain) {
      return { code: 'not-allowed', message: `${recipientAor} is not in domain ${this.sipDomain}` };
    }
    if (!(await this.deps.accounts.exists(recipientAor))) {
      return { code: 'not-found', message: `unknown user ${recipientAor}` };
    }
    return undefined;
  }

  private async recordAttempts(
    tx: Transaction,
    deliveries: ReadonlyArray<{ push: SentPush; message: StoredMessage }>,
  ): Promise<void> {
    if (deliveries.length === 0) {
      return;
    }
    const attemptedAt = this.now();
    await this.deps.messages.recordAttempts(
      tx,
      deliveries.map(({ push, message }) => ({
        pushId: push.pushId,
        messageKey: message.key,
        recipientAor: push.aor,
        deviceId: push.deviceId,
        attemptedAt,
      })),
    );
  }

  private async isLoggedIn(senders: CommandSenderDirectory): Promise<boolean> {
    const device = await senders.registeredSender();
    return device !== undefined && device.carrier !== 'PLAIN';
  }

  private gatewayFor(directory: DeviceDirectory): PushGateway {
    const { bus, newPushId } = this.deps;
    // A live IM skips a new binding still within its login grace: a JSON client whose login is
    // not handled yet would take a text/plain IM as delivered. The IM stays pending for its login
    // or, if it never logs in, for deliverToPlainDevices once the grace is over.
    return new PushGateway({
      directory,
      bus,
      newPushId,
      now: this.now,
      plainSipLoginGraceMs: this.plainDeviceLoginGraceMs,
    });
  }

  private resultRequest(source: CommandSource, result: ResultPush): PushRequest {
    return {
      origin: IM_ROUTER_ORIGIN,
      target: { kind: 'device', aor: source.aor, deviceId: source.deviceId },
      push: result,
    };
  }

  private imRequest(message: StoredMessage, target: PushRequest['target'], offline: boolean): PushRequest {
    return {
      origin: IM_ROUTER_ORIGIN,
      target,
      push: imPush({
        messageId: message.messageId,
        from: message.senderAor,
        text: message.text,
        sentAt: message.sentAt.toISOString(),
        offline,
      }),
      // Plain SIP devices get the text as a text/plain MESSAGE from the sender (protocol.md §7).
      plainText: { text: message.text, fromUri: message.senderAor },
      pushIdPrefix: IM_DELIVERY_PUSH_ID_PREFIX,
    };
  }

  private statusRequest(message: StoredMessage, status: Pick<ImStatusPush, 'state' | 'error'>): PushRequest {
    return {
      origin: IM_ROUTER_ORIGIN,
      target: { kind: 'aor', aor: message.senderAor },
      push: imStatusPush({ messageId: message.messageId, ...status }),
    };
  }
}

/** The result stored by the first run of a command, validated before it is sent again. */
function storedResult(source: CommandSource, stored: unknown): ResultPush {
  const parsed = ResultPushSchema.safeParse(stored);
  if (!parsed.success) {
    throw new ImError(
      'IM_STORED_RESULT_INVALID',
      `stored result of ${source.aor} ${source.commandId} is not a result push`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}
