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
  notOwnedMessage,
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
  type BatchIdempotencyStore,
  type CommandKey,
  type Transaction,
  type UnitOfWork,
} from '../shared';
import { CollectingPublisher } from './collecting-publisher';
import { ImError } from './im-error';
import { derivedMessageId, type InsertedMessage, type StoredMessage } from './message';
import type { InFlightFilter, MessageStore, PlainDeviceQueue } from './ports';
import { RunDeviceDirectory } from './run-device-directory';

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

/** An im.send answered before any transaction: invalid, or from a device not logged in. */
interface RefusedCommand {
  kind: 'refused';
  source: CommandSource;
  replies: PushGateway;
  result: ResultPush;
}

/** An im.send to process once in the run's transaction. */
interface AcceptedCommand {
  kind: 'accepted';
  source: CommandSource;
  /** Publishes in this command's place of the run's one publish, reaching its device. */
  replies: PushGateway;
  /** The command's place in the run. */
  section: number;
  send: CheckedImSend;
  /** Its result when it is processed as usual. */
  accepted: ResultPush;
}

type CheckedCommand = RefusedCommand | AcceptedCommand;

export interface ImRouterDependencies {
  unitOfWork: UnitOfWork;
  idempotency: BatchIdempotencyStore;
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
 * MessageStore.lockRecipient, taken by MessageStore.insertAll for new IMs), so every outcome finds
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

  /** handleCommands of one command. */
  handleCommand(event: CommandReceivedV1): Promise<void> {
    return this.handleCommands([event]);
  }

  /**
   * Handles the `im.send` commands of a run (consecutive commands of one sender on
   * sip.command-received.im-router.v1; another type is answered `bad-request`, not dropped):
   * exactly one result to each command's device, in command order, each the
   * result the command would get alone. The result is ok with the messageId whenever the command
   * is well formed and its device logged in (or plain SIP); an unknown or foreign recipient is
   * reported after it by `im.status` `failed` (protocol.md §4). Reusing a messageId for other
   * content gets `conflict`. The accepted commands share ONE transaction and ONE publish.
   */
  async handleCommands(events: ReadonlyArray<CommandReceivedV1>): Promise<void> {
    const run = this.startRun();
    const senders = new Map<string, CommandSenderDirectory>();
    const checked = await Promise.all(
      events.map((event, index) =>
        this.check(run, senderDirectory(senders, run.directory, event), event, index),
      ),
    );
    const toAccept = checked.filter((command): command is AcceptedCommand => command.kind === 'accepted');
    const answerRefused = async (): Promise<void> => {
      for (const command of checked) {
        if (command.kind === 'refused') {
          await command.replies.send([this.resultRequest(command.source, command.result)]);
        }
      }
    };
    if (toAccept.length === 0) {
      await answerRefused();
      await run.publisher.flush();
      return;
    }
    await this.deps.unitOfWork.run(async (tx) => {
      await answerRefused();
      await this.acceptAll(tx, run, toAccept);
      // Published before commit, under the recipient locks (see the class comment).
      await run.publisher.flush();
    });
  }

  /** settleAll of one outcome. */
  settle(outcome: PushOutcomeV1): Promise<void> {
    return this.settleAll([outcome]);
  }

  /**
   * Settles the IM pushes among outcomes of im-router's pushes (those of results and im.status are
   * skipped) in ONE transaction and ONE publish: the first 200 OK of any device tells the sender
   * `delivered`; a message no device can take any more tells it `stored`.
   */
  async settleAll(outcomes: ReadonlyArray<PushOutcomeV1>): Promise<void> {
    const deliveries = outcomes.filter((outcome) => outcome.pushId.startsWith(IM_DELIVERY_PUSH_ID_PREFIX));
    if (deliveries.length === 0) {
      return;
    }
    const run = this.startRun();
    await this.deps.unitOfWork.run(async (tx) => {
      const { messages } = this.deps;
      for (const recipient of sortedDistinct(deliveries.map((outcome) => canonicalAor(outcome.aor)))) {
        await messages.lockRecipient(tx, recipient);
      }
      const settled = await messages.recordOutcomes(
        tx,
        deliveries.map((outcome) => ({
          pushId: outcome.pushId,
          outcome: outcome.outcome,
          at: new Date(outcome.at),
        })),
      );
      const unreachable: Array<{ message: StoredMessage; section: number }> = [];
      for (const [section, outcome] of deliveries.entries()) {
        const push = settled[section];
        if (push === undefined) {
          continue;
        }
        if (outcome.outcome !== 'answered') {
          unreachable.push({ message: push.message, section });
        } else if (push.firstAnswer) {
          await run.gateway(section).send([this.statusRequest(push.message, { state: 'delivered' })]);
        }
      }
      // Evaluated once all outcomes are recorded: a message some outcome of this run answered is
      // not unreachable.
      await this.tellStored(tx, run, unreachable, new Date(deliveries[deliveries.length - 1].at));
      await run.publisher.flush();
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

  /**
   * Checks an im.send outside the transaction (each distinct sender device and recipient is
   * looked up once per run): the result when it is refused now, or what to accept.
   */
  private async check(
    run: Run,
    senders: CommandSenderDirectory,
    event: CommandReceivedV1,
    index: number,
  ): Promise<CheckedCommand> {
    const source: CommandSource = {
      aor: canonicalAor(event.aor),
      deviceId: event.deviceId,
      commandId: event.envelope.id,
      receivedAt: new Date(event.receivedAt),
    };
    // The sender directory reaches the sending device even before it logged in (its error result).
    const replies = run.gateway(index, senders);
    const parsed = parseCommandObject(event.envelope);
    if (parsed.kind !== 'command' || parsed.command.type !== 'im.send') {
      const code = parsed.kind === 'invalid-command' ? parsed.code : 'bad-request';
      const { type } = event.envelope;
      const message =
        parsed.kind === 'invalid-command' ? parsed.message : notOwnedMessage(type, IM_ROUTER_ORIGIN);
      return { kind: 'refused', source, replies, result: errorResult(type, source.commandId, code, message) };
    }
    const command = parsed.command;
    const recipientAor = canonicalAor(command.to);
    // Independent reads: one round trip of waiting instead of two.
    const [loggedIn, refusal] = await Promise.all([
      event.carrier === 'MESSAGE-PLAIN' || this.isLoggedIn(senders),
      run.refusal(recipientAor),
    ]);
    if (!loggedIn) {
      const result = errorResult('im.send', source.commandId, 'not-logged-in', 'log in first');
      return { kind: 'refused', source, replies, result };
    }
    const messageId = command.messageId ?? derivedMessageId(source.aor, source.commandId);
    return {
      kind: 'accepted',
      source,
      replies,
      section: index,
      send: { command, recipientAor, refusal, messageId },
      accepted: okResult('im.send', source.commandId, { messageId }),
    };
  }

  /**
   * The transaction of a run's accepted commands: one claim statement, one insert of the new
   * messages (taking their recipients' locks), the pushes, one insert of the delivery attempts.
   * Each command gets what it would get alone after the ones before it.
   */
  private async acceptAll(tx: Transaction, run: Run, commands: readonly AcceptedCommand[]): Promise<void> {
    const { idempotency } = this.deps;
    // A command repeated within the run is a duplicate of its first occurrence: only that claims.
    const firstOccurrences = new Map<string, AcceptedCommand>();
    for (const command of commands) {
      if (!firstOccurrences.has(commandKeyId(command.source))) {
        firstOccurrences.set(commandKeyId(command.source), command);
      }
    }
    const claiming = [...firstOccurrences.values()];
    const claims = await idempotency.claimAll(
      tx,
      claiming.map((command) => ({ key: this.commandKey(command.source), expectedResult: command.accepted })),
    );
    const claimOf = new Map(claiming.map((command, index) => [command, claims[index]]));
    const stored = await this.insertMessages(
      tx,
      claiming.filter(
        (command) => claimOf.get(command)?.kind === 'first' && command.send.refusal === undefined,
      ),
    );

    const results = new Map<string, ResultPush>();
    const deliveries: Array<{ push: SentPush; message: StoredMessage }> = [];
    const unreachable: Array<{ message: StoredMessage; section: number }> = [];
    for (const command of commands) {
      const keyId = commandKeyId(command.source);
      const claim = claimOf.get(command);
      let result = results.get(keyId);
      if (claim?.kind === 'first') {
        result = await this.accept(command, stored, deliveries, unreachable);
        if (JSON.stringify(result) !== JSON.stringify(command.accepted)) {
          await idempotency.storeResult(tx, this.commandKey(command.source), result);
        }
      } else {
        // A duplicate re-sends the stored result and does nothing else.
        result ??= storedResult(command.source, claim?.result);
        await command.replies.send([this.resultRequest(command.source, result)]);
      }
      results.set(keyId, result);
    }
    await this.recordAttempts(tx, deliveries);
    await this.tellStored(tx, run, unreachable, this.now());
  }

  /**
   * Stores the messages of the commands that claimed (recipients locked in the same statement); a
   * messageId used twice in the run is stored by its first command and found by the later ones.
   */
  private async insertMessages(
    tx: Transaction,
    commands: readonly AcceptedCommand[],
  ): Promise<Map<AcceptedCommand, InsertedMessage>> {
    if (commands.length === 0) {
      return new Map();
    }
    const inserting: AcceptedCommand[] = [];
    const positionOfMessage = new Map<string, number>();
    const positions = commands.map((command) => {
      const id = JSON.stringify([command.source.aor, command.send.messageId]);
      let position = positionOfMessage.get(id);
      if (position === undefined) {
        position = inserting.push(command) - 1;
        positionOfMessage.set(id, position);
      }
      return position;
    });
    const inserted = await this.deps.messages.insertAll(
      tx,
      inserting.map(({ source, send }) => ({
        senderAor: source.aor,
        commandId: source.commandId,
        messageId: send.messageId,
        recipientAor: send.recipientAor,
        text: send.command.text,
        sentAt: source.receivedAt,
      })),
    );
    return new Map(
      commands.map((command, index) => {
        const position = positions[index];
        // Only the command that stored it created it: a later one sends the same message again.
        const created = inserting[position] === command && inserted[position].created;
        return [command, { created, message: inserted[position].message }];
      }),
    );
  }

  /** The effect of a first claim; collects its delivery attempts and whether it is unreachable. */
  private async accept(
    command: AcceptedCommand,
    stored: ReadonlyMap<AcceptedCommand, InsertedMessage>,
    deliveries: Array<{ push: SentPush; message: StoredMessage }>,
    unreachable: Array<{ message: StoredMessage; section: number }>,
  ): Promise<ResultPush> {
    const { source, replies, section, send, accepted } = command;
    const { recipientAor, refusal, messageId } = send;
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
    const inserted = stored.get(command);
    if (inserted === undefined) {
      throw new ImError('IM_RUN_MESSAGE_MISSING', `no message stored for ${source.aor} ${source.commandId}`);
    }
    const { created, message } = inserted;
    if (!created) {
      // The same message sent again in a new command: its first delivery stands.
      const result =
        message.recipientAor === recipientAor && message.text === send.command.text
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
    const sent = await replies.send(
      [
        this.resultRequest(source, accepted),
        this.imRequest(message, { kind: 'aor', aor: recipientAor }, false),
      ],
      { alsoPublish: [messageAcceptedV1.record(acceptedEvent)] },
    );
    const delivered = sent.filter((push) => push.requestIndex === 1);
    deliveries.push(...delivered.map((push) => ({ push, message })));
    if (delivered.length === 0) {
      unreachable.push({ message, section });
    }
    return accepted;
  }

  /** Tells each sender `stored` for its messages no device can take now (one statement for all). */
  private async tellStored(
    tx: Transaction,
    run: Run,
    unreachable: ReadonlyArray<{ message: StoredMessage; section: number }>,
    at: Date,
  ): Promise<void> {
    if (unreachable.length === 0) {
      return;
    }
    const marked = await this.deps.messages.markStoredIfUnreachable(
      tx,
      [...new Set(unreachable.map(({ message }) => message.key))],
      at,
    );
    // Told once per message, in the place of its first unreachable outcome or command.
    const told = new Set<string>();
    for (const { message, section } of unreachable) {
      if (marked.has(message.key) && !told.has(message.key)) {
        told.add(message.key);
        await run.gateway(section).send([this.statusRequest(message, { state: 'stored' })]);
      }
    }
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

  /** A run's shared lookups and its one publish. */
  private startRun(): Run {
    const directory = new RunDeviceDirectory(this.deps.directory);
    const publisher = new CollectingPublisher(this.deps.bus);
    return new Run(
      directory,
      publisher,
      (gatewayDirectory, bus) => this.gatewayFor(gatewayDirectory, bus),
      (aor) => this.refusal(aor),
    );
  }

  private commandKey(source: CommandSource): CommandKey {
    return { service: IM_ROUTER_ORIGIN, aor: source.aor, commandId: source.commandId };
  }

  private async isLoggedIn(senders: CommandSenderDirectory): Promise<boolean> {
    const device = await senders.registeredSender();
    return device !== undefined && device.carrier !== 'PLAIN';
  }

  private gatewayFor(
    directory: DeviceDirectory,
    bus: Pick<EventBus, 'publish'> = this.deps.bus,
  ): PushGateway {
    const { newPushId } = this.deps;
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

/**
 * What the commands or outcomes of one run share: device lookups, recipient checks and the one
 * publish, which each command or outcome reaches through the gateway of its section.
 */
class Run {
  private readonly gateways = new Map<number, PushGateway>();
  private readonly refusals = new Map<string, Promise<RecipientRefusal | undefined>>();

  constructor(
    readonly directory: RunDeviceDirectory,
    readonly publisher: CollectingPublisher,
    private readonly newGateway: (directory: DeviceDirectory, bus: Pick<EventBus, 'publish'>) => PushGateway,
    private readonly checkRecipient: (aor: string) => Promise<RecipientRefusal | undefined>,
  ) {}

  /**
   * The gateway publishing in `section`'s place. Its first use fixes its directory (a command's
   * sender directory, so its result reaches the sending device).
   */
  gateway(section: number, directory: DeviceDirectory = this.directory): PushGateway {
    let gateway = this.gateways.get(section);
    if (gateway === undefined) {
      gateway = this.newGateway(directory, this.publisher.section(section));
      this.gateways.set(section, gateway);
    }
    return gateway;
  }

  /** Why a recipient cannot get IMs, checked once per run. */
  refusal(recipientAor: string): Promise<RecipientRefusal | undefined> {
    let refusal = this.refusals.get(recipientAor);
    if (refusal === undefined) {
      refusal = this.checkRecipient(recipientAor);
      this.refusals.set(recipientAor, refusal);
    }
    return refusal;
  }
}

/** One sender directory per distinct sending device (and flow) of a run, over the run's lookups. */
function senderDirectory(
  senders: Map<string, CommandSenderDirectory>,
  directory: DeviceDirectory,
  event: CommandReceivedV1,
): CommandSenderDirectory {
  const key = JSON.stringify([
    event.aor,
    event.deviceId,
    event.edgeId,
    event.flowId,
    event.contact,
    event.carrier,
  ]);
  let senderDirectory = senders.get(key);
  if (senderDirectory === undefined) {
    senderDirectory = new CommandSenderDirectory(directory, event);
    senders.set(key, senderDirectory);
  }
  return senderDirectory;
}

function commandKeyId(source: CommandSource): string {
  return JSON.stringify([source.aor, source.commandId]);
}

/** Sorted without repeats: one lock order for every transaction that takes several recipient locks. */
function sortedDistinct(values: readonly string[]): string[] {
  return [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
