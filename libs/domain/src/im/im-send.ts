import {
  canonicalAor,
  type CommandOf,
  type CommandReceivedV1,
  errorResult,
  messageAcceptedV1,
  okResult,
  type ResultPush,
} from '#herald/contracts';
import {
  CommandSenderDirectory,
  type DeviceDirectory,
  type PushGateway,
  type PushRequest,
  resultRequest,
} from '../push';
import {
  type CommandKey,
  lockOrder,
  type ParsedOwnedCommand,
  parseOwnedCommand,
  storedResultPush,
  type Transaction,
} from '../shared';
import { ImError } from './im-error';
import { IM_ROUTER_ORIGIN, imRequest, statusRequest } from './im-pushes';
import type { Delivery, ImRouting, Unreachable } from './im-routing';
import { derivedMessageId, type InsertedMessage, type NewMessage, type StoredMessage } from './message';
import type { RecipientRefusal, Run } from './run';

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
export interface RefusedCommand {
  kind: 'refused';
  source: CommandSource;
  /** Publishes to its device in this command's place, after the group's commit. */
  replies: PushGateway;
  result: ResultPush;
}

/** An im.send to process once in the group's transaction. */
export interface AcceptedCommand {
  kind: 'accepted';
  source: CommandSource;
  /**
   * Publishes what tells its sender (its result, `im.status`) in this command's place, after the
   * group's commit: an `ok` only once its IM is stored.
   */
  replies: PushGateway;
  /** Publishes its IM to the recipient in this command's place, inside the transaction. */
  pushes: PushGateway;
  /** The command's place in the group. */
  section: number;
  send: CheckedImSend;
  /** Its result when it is processed as usual. */
  accepted: ResultPush;
}

export type CheckedCommand = RefusedCommand | AcceptedCommand;

/** What the sends of a group leave to ImGroups to finish in their transaction. */
export interface SentInTransaction {
  /** Whether an IM goes to a plain SIP device (published before the commit: ImRouting.holdPlainTargets). */
  pushesToPlainDevices: boolean;
  /**
   * The pushes of the new IMs, to record as delivery attempts before the commit: with the group's
   * outcomes in one statement when it has some (ImSettle.inTransaction), else alone.
   */
  deliveries: readonly Delivery[];
}

const NOTHING_ACCEPTED: SentInTransaction = { pushesToPlainDevices: false, deliveries: [] };

/** An im.send with its envelope parsed, before its sender and recipient are checked. */
interface ParsedSend {
  event: CommandReceivedV1;
  parsed: ParsedOwnedCommand<typeof IM_ROUTER_ORIGIN>;
}

/** The im.send commands of a group, checked outside its transaction (ImSend.check). */
export interface CheckedSends {
  commands: readonly CheckedCommand[];
  /** Refused `not-logged-in`: claimed with that result in the transaction (claimRefusals). */
  loggedOut: readonly RefusedCommand[];
  toAccept: readonly AcceptedCommand[];
}

/**
 * im.send (protocol.md §4) for ImGroups: the commands of a group of runs (each run consecutive
 * commands of one sender) share one lookup of the sending devices, one of the recipients, and
 * the group's one transaction, with their results and IMs in its one publish after it.
 */
export class ImSend {
  constructor(private readonly routing: ImRouting) {}

  /**
   * Checks the `im.send` commands of a group (on sip.command-received.im-router.v1; another type is
   * answered `bad-request`, not dropped), in sections `firstSection` on, before its transaction:
   * every lookup of the checks ahead, one query for the sending devices and one for the recipients.
   */
  async check(
    run: Run,
    sends: ReadonlyArray<CommandReceivedV1>,
    firstSection: number,
  ): Promise<CheckedSends> {
    const parsedSends = sends.map((event) => ({
      event,
      parsed: parseOwnedCommand(IM_ROUTER_ORIGIN, event.envelope),
    }));
    await run.lookUpSendsAhead(
      sends.filter((event) => event.carrier !== 'MESSAGE-PLAIN'),
      parsedSends.flatMap(({ parsed }) => recipientsOf(parsed)),
    );
    const senders = new Map<string, CommandSenderDirectory>();
    const commands = await Promise.all(
      parsedSends.map((send, index) =>
        this.checkOne(run, senderDirectory(senders, run.directory, send.event), send, firstSection + index),
      ),
    );
    return {
      commands,
      loggedOut: commands.filter(
        (command): command is RefusedCommand =>
          command.kind === 'refused' && command.result.error?.code === 'not-logged-in',
      ),
      toAccept: commands.filter((command): command is AcceptedCommand => command.kind === 'accepted'),
    };
  }

  /** Whether the checked commands write anything: refusals to claim or commands to accept. */
  needsTransaction({ loggedOut, toAccept }: CheckedSends): boolean {
    return loggedOut.length > 0 || toAccept.length > 0;
  }

  /**
   * The recipients whose locks storing the accepted commands' messages takes
   * (MessageStore.claimAndInsertAll).
   */
  recipientsToLock({ toAccept }: CheckedSends): string[] {
    return toAccept.flatMap(({ send }) => (send.refusal === undefined ? [send.recipientAor] : []));
  }

  /**
   * The commands' work in the group's transaction: exactly one result to each command's device, in
   * command order, each the result the command would get alone after the ones before it. The
   * result is ok with the messageId whenever the command is well formed and its device logged in
   * (or plain SIP); an unknown or foreign recipient is reported after it by `im.status` `failed`
   * (protocol.md §4). Reusing a messageId for other content gets `conflict`. Leaves the delivery
   * attempts to record to the caller.
   */
  async inTransaction(tx: Transaction, run: Run, checked: CheckedSends): Promise<SentInTransaction> {
    await this.claimRefusals(tx, checked.loggedOut);
    return checked.toAccept.length > 0 ? this.acceptAll(tx, run, checked.toAccept) : NOTHING_ACCEPTED;
  }

  /**
   * After the commit: the refusals' results (the claimed ones' with them). Results and pushes go
   * out only after the commit, in the group's one publish: nothing is heard of an IM a failed commit
   * lost. When that publish fails (or the process dies first), the group fails and its redelivery
   * finds the claims: it re-sends the stored results and pushes again each IM whose push has no
   * outcome (tellAgain).
   */
  async replyRefused(checked: CheckedSends): Promise<void> {
    for (const command of checked.commands) {
      if (command.kind === 'refused') {
        await command.replies.send([resultRequest(IM_ROUTER_ORIGIN, command.source, command.result)]);
      }
    }
  }

  /**
   * A `not-logged-in` refusal is the command's one result (protocol.md §3: once per AOR and id),
   * claimed with its result in the group's transaction, and sent after its commit: a copy re-sent
   * after a login gets it again, and a copy handled before its sender's session ended
   * (redelivered after a broker restart) keeps the result it got then. One insert for all.
   */
  private async claimRefusals(tx: Transaction, loggedOut: readonly RefusedCommand[]): Promise<void> {
    if (loggedOut.length === 0) {
      return;
    }
    const claiming = inLockOrder(firstOfEachCommand(loggedOut));
    const claims = await this.routing.deps.idempotency.claimAll(
      tx,
      claiming.map((command) => ({ key: commandKey(command.source), expectedResult: command.result })),
    );
    const claimOf = new Map(claiming.map((command, index) => [commandKeyId(command.source), claims[index]]));
    for (const command of loggedOut) {
      const claim = claimOf.get(commandKeyId(command.source));
      if (claim?.kind === 'duplicate') {
        command.result = storedResultPush(commandKey(command.source), claim.result);
      }
    }
  }

  /** Checks an im.send outside the transaction: the result when it is refused now, or what to accept. */
  private async checkOne(
    run: Run,
    senders: CommandSenderDirectory,
    { event, parsed }: ParsedSend,
    index: number,
  ): Promise<CheckedCommand> {
    const source: CommandSource = {
      aor: canonicalAor(event.aor),
      deviceId: event.deviceId,
      commandId: event.envelope.id,
      receivedAt: new Date(event.receivedAt),
    };
    // The sender directory reaches the sending device even before it logged in (its error result).
    const replies = run.afterCommitGateway(index, senders);
    if (parsed.kind === 'refused') {
      return { kind: 'refused', source, replies, result: parsed.result };
    }
    const command = parsed.command;
    const recipientAor = canonicalAor(command.to);
    const [loggedIn, refusal] = await Promise.all([
      event.carrier === 'MESSAGE-PLAIN' || isLoggedIn(senders),
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
      pushes: run.gateway(index, senders),
      section: index,
      send: { command, recipientAor, refusal, messageId },
      accepted: okResult('im.send', source.commandId, { messageId }),
    };
  }

  /**
   * The transaction of a group's accepted commands: one statement for the claims and the new
   * messages (taking their recipients' locks once the claims are taken), one lookup of their
   * recipients' devices, the pushes; the insert of the delivery attempts is the caller's. Each
   * command gets what it would get alone after the ones before it.
   */
  private async acceptAll(
    tx: Transaction,
    run: Run,
    commands: readonly AcceptedCommand[],
  ): Promise<SentInTransaction> {
    const { idempotency } = this.routing.deps;
    // A command repeated within the group is a duplicate of its first occurrence: only that claims.
    const claiming = firstOfEachCommand(commands);
    const claimOrder = inLockOrder(claiming);
    const claimIndex = new Map(claimOrder.map((command, index) => [command, index]));
    // Messages in command order (their `seq`), each stored only if its command claims first.
    const storing = claiming.filter((command) => command.send.refusal === undefined);
    const claimed = await this.routing.deps.messages.claimAndInsertAll(
      tx,
      claimOrder.map((command) => ({ key: commandKey(command.source), expectedResult: command.accepted })),
      storing.map((command) => ({ claim: claimIndex.get(command)!, message: newMessageOf(command) })),
    );
    const claimOf = new Map(claimOrder.map((command, index) => [command, claimed.claims[index]]));
    const stored = new Map<AcceptedCommand, InsertedMessage>();
    storing.forEach((command, index) => {
      const inserted = claimed.messages[index];
      if (inserted !== undefined) stored.set(command, inserted);
    });
    const targets = await run.lookUpAhead(
      [...stored.values()].map(({ message }) =>
        imRequest(message, { kind: 'aor', aor: message.recipientAor }, false),
      ),
    );
    await this.routing.holdPlainTargets(tx, run, targets);
    const pushesToPlainDevices = targets.some((devices) => devices.some((d) => d.carrier === 'PLAIN'));

    const results = new Map<string, ResultPush>();
    const deliveries: Delivery[] = [];
    const unreachable: Unreachable[] = [];
    const handledBefore: AcceptedCommand[] = [];
    for (const command of commands) {
      const keyId = commandKeyId(command.source);
      const claim = claimOf.get(command);
      let result = results.get(keyId);
      if (claim?.kind === 'first') {
        result = await this.accept(command, stored, deliveries, unreachable);
        // Most commands get the result they claimed with: no second write, and no serialization to tell.
        if (result !== command.accepted && JSON.stringify(result) !== JSON.stringify(command.accepted)) {
          await idempotency.storeResult(tx, commandKey(command.source), result);
        }
      } else {
        // A duplicate re-sends the stored result and does nothing else.
        result ??= storedResultPush(commandKey(command.source), claim?.result);
        await command.replies.send([resultRequest(IM_ROUTER_ORIGIN, command.source, result)]);
        if (claim?.kind === 'duplicate' && result.ok) handledBefore.push(command);
      }
      results.set(keyId, result);
    }
    await this.tellAgain(tx, run, handledBefore);
    // `stored` follows its command's result, after the commit. A message told so has no push of
    // this group, so whether the deliveries are recorded yet does not change it.
    await this.routing.tellStored(tx, run, unreachable, this.routing.now(), (section) =>
      run.afterCommitGateway(section),
    );
    return { pushesToPlainDevices, deliveries };
  }

  /**
   * Commands accepted in an earlier handling (a redelivery: the publish after that commit may have
   * failed or never happened) tell and push again what that handling did, for a message no device
   * has answered (one read for all): to its sender, after the result, the im.status told then
   * (`failed` for a refused recipient, `stored`); to each device whose push of it has no outcome,
   * the IM, with im.message-accepted. Each push goes out under its push id of then, so one that did
   * arrive is answered by the edge from memory and processed once by the client (protocol.md §3).
   * A plain SIP device, which cannot drop a repeated text/plain MESSAGE, is not pushed again: its
   * push went out inside the transaction that recorded it (ImGroups).
   */
  private async tellAgain(tx: Transaction, run: Run, commands: readonly AcceptedCommand[]): Promise<void> {
    for (const { replies, source, send } of commands) {
      if (send.refusal !== undefined) {
        await replies.send([failedStatus(source.aor, send.messageId, send.refusal)]);
      }
    }
    const delivering = commands.filter(({ send }) => send.refusal === undefined);
    if (delivering.length === 0) {
      return;
    }
    const undelivered = await this.routing.deps.messages.findUndelivered(
      tx,
      delivering.map(({ source, send }) => ({ senderAor: source.aor, messageId: send.messageId })),
    );
    // Keyed: a redelivered group is all duplicates, so a scan per command was quadratic in its size.
    const undeliveredByKey = new Map(
      undelivered.map((entry) => [messageKeyId(entry.message.senderAor, entry.message.messageId), entry]),
    );
    const found = delivering.flatMap((command) => {
      const entry = undeliveredByKey.get(messageKeyId(command.source.aor, command.send.messageId));
      return entry === undefined ? [] : [{ command, ...entry }];
    });
    await run.directory.lookUpDevices(
      found.flatMap(({ message, inFlightTo }) =>
        inFlightTo.map((deviceId) => ({ aor: message.recipientAor, deviceId })),
      ),
    );
    for (const { command, message, storedTold, inFlightTo } of found) {
      if (storedTold) {
        await command.replies.send([statusRequest(message, { state: 'stored' })]);
      }
      await command.pushes.send(
        inFlightTo.map((deviceId) => imAgainTo(message, deviceId)),
        { alsoPublish: [messageAcceptedV1.record(acceptedEventOf(message))] },
      );
    }
  }

  /** The effect of a first claim; collects its delivery attempts and whether it is unreachable. */
  private async accept(
    command: AcceptedCommand,
    stored: ReadonlyMap<AcceptedCommand, InsertedMessage>,
    deliveries: Delivery[],
    unreachable: Unreachable[],
  ): Promise<ResultPush> {
    const { source, replies, pushes, section, send, accepted } = command;
    const { recipientAor, refusal, messageId } = send;
    if (refusal !== undefined) {
      await replies.send([
        resultRequest(IM_ROUTER_ORIGIN, source, accepted),
        failedStatus(source.aor, messageId, refusal),
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
      await replies.send([resultRequest(IM_ROUTER_ORIGIN, source, result)]);
      return result;
    }

    await replies.send([resultRequest(IM_ROUTER_ORIGIN, source, accepted)]);
    const delivered = await pushes.send([imRequest(message, { kind: 'aor', aor: recipientAor }, false)], {
      alsoPublish: [messageAcceptedV1.record(acceptedEventOf(message))],
    });
    deliveries.push(...delivered.map((push) => ({ push, message })));
    if (delivered.length === 0) {
      unreachable.push({ message, section });
    }
    return accepted;
  }
}

/** The message an accepted im.send stores. */
function newMessageOf({ source, send }: AcceptedCommand): NewMessage {
  return {
    senderAor: source.aor,
    commandId: source.commandId,
    messageId: send.messageId,
    recipientAor: send.recipientAor,
    text: send.command.text,
    sentAt: source.receivedAt,
  };
}

/** An IM pushed again to one device, to a JSON client only (no text/plain: see tellAgain). */
function imAgainTo(message: StoredMessage, deviceId: string): PushRequest {
  const request = imRequest(message, { kind: 'device', aor: message.recipientAor, deviceId }, false);
  return { ...request, plainText: undefined };
}

/** im.message-accepted of a stored message. */
function acceptedEventOf(message: StoredMessage) {
  // Trusted: every field comes from the validated im.send the message was stored from.
  return messageAcceptedV1.buildTrusted({
    messageId: message.messageId,
    from: message.senderAor,
    to: message.recipientAor,
    text: message.text,
    sentAt: message.sentAt.toISOString(),
  });
}

/** The im.status `failed` of an im.send whose recipient is refused. */
function failedStatus(senderAor: string, messageId: string, refusal: RecipientRefusal): PushRequest {
  return statusRequest({ senderAor, messageId }, { state: 'failed', error: refusal });
}

/** The recipient of a well-formed im.send, none otherwise. */
function recipientsOf(parsed: ParsedOwnedCommand<typeof IM_ROUTER_ORIGIN>): string[] {
  return parsed.kind === 'command' ? [canonicalAor(parsed.command.to)] : [];
}

async function isLoggedIn(senders: CommandSenderDirectory): Promise<boolean> {
  const device = await senders.registeredSender();
  return device !== undefined && device.carrier !== 'PLAIN';
}

/** One sender directory per distinct sending device (and flow) of a group, over its lookups. */
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

function commandKey(source: CommandSource): CommandKey {
  return { service: IM_ROUTER_ORIGIN, aor: source.aor, commandId: source.commandId };
}

function commandKeyId(source: CommandSource): string {
  return JSON.stringify([source.aor, source.commandId]);
}

/** A message's identity (unique in the store: uq_messages_sender_message_id) as a map key. */
function messageKeyId(senderAor: string, messageId: string): string {
  return JSON.stringify([senderAor, messageId]);
}

/** The first of each command key, in input order (claimAll takes distinct keys). */
function firstOfEachCommand<C extends { source: CommandSource }>(commands: readonly C[]): C[] {
  const firstOccurrences = new Map<string, C>();
  for (const command of commands) {
    const keyId = commandKeyId(command.source);
    if (!firstOccurrences.has(keyId)) {
      firstOccurrences.set(keyId, command);
    }
  }
  return [...firstOccurrences.values()];
}

/** Claims go in the lock order: a claim waits for a concurrent claim of the same command. */
function inLockOrder<C extends { source: CommandSource }>(commands: readonly C[]): C[] {
  // Each key serialized once, not twice per comparison (a group holds up to hundreds of commands).
  return commands
    .map((command) => ({ keyId: commandKeyId(command.source), command }))
    .sort((a, b) => lockOrder(a.keyId, b.keyId))
    .map(({ command }) => command);
}
