import type { Device } from '../push';
import type { CommandClaim, IdempotencyClaim, Transaction } from '../shared';
import type { InsertedMessage, NewMessage, StoredMessage } from './message';

/** What became of one push (sip.push-outcome.v1). */
export type PushOutcomeKind = 'answered' | 'failed' | 'timed-out' | 'no-flow';

/** One push of an IM to one device, recorded so its outcome can be matched. */
export interface DeliveryAttempt {
  pushId: string;
  messageKey: string;
  recipientAor: string;
  deviceId: string;
  attemptedAt: Date;
}

/** One sip.push-outcome to record. */
export interface RecordedOutcome {
  pushId: string;
  outcome: PushOutcomeKind;
  at: Date;
}

/** The message a push outcome was about. */
export interface SettledPush {
  message: StoredMessage;
  /** True only for the outcome that marked the message delivered (its first answer). */
  firstAnswer: boolean;
}

/** Attempts to one device made since a moment (its login) that have no outcome yet. */
export interface InFlightFilter {
  deviceId: string;
  since: Date;
}

/** A message to store if the command at `claim` is claimed first (MessageStore.claimAndInsertAll). */
export interface ClaimedMessage {
  claim: number;
  message: NewMessage;
}

/** The messages table and its per-device delivery attempts. */
export interface MessageStore {
  /**
   * Serializes, until `tx` ends, every transaction that pushes IMs to one recipient or settles
   * outcomes of them that are not all answered: takes the locks of all the recipients in ONE
   * statement, in the one lock order (inLockOrder). Pushes published inside their transaction (at
   * a login, to plain SIP devices, of settles) are so never looked up by an outcome handler before
   * the transaction that recorded them has committed (answered outcomes take it only for a push
   * they did not find).
   */
  lockRecipients(tx: Transaction, recipientAors: readonly string[]): Promise<void>;
  /**
   * Claims the commands (as BatchIdempotencyStore.claimAll: one read more for the stored results of
   * the duplicates, if any) and, in the same statement, once every claim is taken, takes the locks
   * of the messages' recipients (as lockRecipients) and stores, in input order, each message whose
   * claim (`claims[claim]`) was first, or finds the one already stored under its (sender,
   * messageId): one read more when some were stored before this statement. Claim keys must be
   * distinct; a (sender, messageId) repeated is stored by its first message, `created` false for
   * the later ones. Returns the claims in input order and, for each message, what became of it
   * (undefined when its claim was a duplicate).
   */
  claimAndInsertAll(
    tx: Transaction,
    claims: readonly CommandClaim[],
    messages: ReadonlyArray<ClaimedMessage>,
  ): Promise<{ claims: IdempotencyClaim[]; messages: Array<InsertedMessage | undefined> }>;
  /**
   * The recipient's messages not yet answered by any device, oldest first (one query). With
   * `notInFlightTo`, those already pushed to that device since `since` and still awaiting their
   * outcome are left out: a live push that raced the device's login must not be sent twice.
   */
  pendingFor(tx: Transaction, recipientAor: string, notInFlightTo?: InFlightFilter): Promise<StoredMessage[]>;
  /**
   * Records pushes of IMs to devices (one statement for all); a push id recorded before (the same
   * message to the same device again) is in flight again, its earlier outcome cleared.
   */
  recordAttempts(tx: Transaction, attempts: readonly DeliveryAttempt[]): Promise<void>;
  /**
   * Records push outcomes (one statement for all) and marks the message of each `answered` one
   * delivered. Returns, in input order, each outcome's message, or undefined when its push was not
   * an IM delivery (a result or status push). Outcomes apply in order: `firstAnswer` is true only
   * for the outcome that marked its message delivered, and of a push with several outcomes the
   * last one stays. `attempts` are recorded in the same statement, as by recordAttempts; neither
   * write sees the other, so they must be pushes of other messages than the outcomes' (an outcome
   * of one of them is not found).
   */
  recordOutcomes(
    tx: Transaction,
    outcomes: readonly RecordedOutcome[],
    attempts?: readonly DeliveryAttempt[],
  ): Promise<Array<SettledPush | undefined>>;
  /**
   * Marks that the sender was told `stored`, for each message that is undelivered, has no attempt
   * still awaiting its outcome, and whose sender was not told before (one statement). Returns the
   * keys this call marked.
   */
  markStoredIfUnreachable(
    tx: Transaction,
    messageKeys: readonly string[],
    at: Date,
  ): Promise<ReadonlySet<string>>;
  /**
   * Of the messages named by (sender, messageId), those no device has answered (one statement),
   * each with whether its sender was told `stored` and the devices whose push of it awaits its
   * outcome: what a redelivered im.send tells and pushes again.
   */
  findUndelivered(
    tx: Transaction,
    messages: ReadonlyArray<Pick<StoredMessage, 'senderAor' | 'messageId'>>,
  ): Promise<UndeliveredMessage[]>;
}

/** A message no device has answered (MessageStore.findUndelivered). */
export interface UndeliveredMessage {
  message: StoredMessage;
  /** Its sender was told `stored`. */
  storedTold: boolean;
  /** The devices whose push of it has no outcome yet, by device id. */
  inFlightTo: string[];
}

/** A registered device that has not logged in (yet). */
export interface DeviceKey {
  aor: string;
  deviceId: string;
}

/** A queued device whose login grace is over. */
export interface DueDevice extends DeviceKey {
  /** When its grace ends: its binding was created the login grace before. */
  dueAt: Date;
}

/**
 * Newly registered devices waiting to be offered stored IMs as plain SIP devices (protocol.md §7).
 * A JSON client logs in right after its REGISTER; only a device still without a session after a
 * grace period is treated as plain, so JSON clients never get their IMs as text/plain.
 */
export interface PlainDeviceQueue {
  /** Schedules a device at `dueAt` (rescheduling it when already queued), in one statement. */
  schedule(tx: Transaction, device: DeviceKey, dueAt: Date): Promise<void>;
  /** Drops a device that logged in. */
  cancel(tx: Transaction, device: DeviceKey): Promise<void>;
  /** Removes and returns up to `limit` devices due at `now`, skipping rows other replicas hold. */
  takeDue(tx: Transaction, now: Date, limit: number): Promise<DueDevice[]>;
  /**
   * Of `devices`, those still plain SIP devices (registered, no login during this registration),
   * in one statement, each kept so until `tx` ends: a login of one waits for tx's commit. A
   * text/plain push published inside `tx` is then on the device's outbound partition before its
   * login.result, never after it.
   */
  holdPlain(tx: Transaction, devices: readonly DeviceKey[]): Promise<DeviceKey[]>;
}

/**
 * What a group of im.send commands reads before its transaction, in ONE query (one round trip and
 * one statement instead of two): the devices of its senders' AORs, as DeviceDirectory
 * .loggedInDevices lists them with includePlainSip and no login grace, and which of its recipients
 * have an account that can receive IMs, as BatchAccountDirectory.existing.
 */
export interface SendCheckLookup {
  sendersAndRecipients(
    senderAors: readonly string[],
    recipientAors: readonly string[],
  ): Promise<SendersAndRecipients>;
}

export interface SendersAndRecipients {
  /** Every sender AOR, with its devices (none when it has none). */
  devices: ReadonlyMap<string, readonly Device[]>;
  /** The recipients with an account. */
  existing: ReadonlySet<string>;
}
