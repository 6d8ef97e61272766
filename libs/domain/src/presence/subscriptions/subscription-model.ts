import type { SubscriptionDialog } from '#herald/contracts';
import type { Transaction } from '../../shared';
import type { AggregatePresence } from '../presence-model';

/**
 * One presence subscription (RFC 6665 dialog, protocol.md §7), owned by presence: whichever edge
 * holds the subscriber's flow sends its NOTIFYs.
 */
export interface Subscription {
  id: string;
  subscriberAor: string;
  /** The presentity. */
  targetAor: string;
  deviceId: string;
  /** The edge and flow the last SUBSCRIBE came over: NOTIFYs go back the same way (RFC 5626). */
  edgeId: string;
  flowId: string;
  dialog: SubscriptionDialog;
  /** The subscriber's last CSeq in this dialog. */
  subscriberCseq: number;
  expiresAt: Date;
}

/** What a new or refreshed subscription records. */
export type SubscriptionFields = Omit<Subscription, 'id'>;

/** A subscription and the CSeq its next NOTIFY carries (already taken: each CSeq is used once). */
export interface NotifyTarget {
  subscription: Subscription;
  cseq: number;
}

/** The dialog identity (RFC 3261 §12: Call-ID and both tags) within one subscriber. */
export interface DialogKey {
  subscriberAor: string;
  callId: string;
  subscriberTag: string;
  notifierTag: string;
}

export interface SubscriptionRepository {
  /**
   * Stores a subscription for its dialog: created, or (a redelivered SUBSCRIBE of the same
   * dialog) replaced; takes its next NOTIFY CSeq either way.
   */
  upsert(tx: Transaction, fields: SubscriptionFields): Promise<NotifyTarget>;
  /** The dialog's subscription, locked for the transaction; undefined when there is none. */
  lockDialog(tx: Transaction, key: DialogKey): Promise<Subscription | undefined>;
  /** Removes one subscription; its final NOTIFY's CSeq, or undefined when it was already gone. */
  remove(tx: Transaction, id: string): Promise<NotifyTarget | undefined>;
  /** Removes the subscriptions of `a` to `b` and of `b` to `a`, each with its final NOTIFY's CSeq. */
  removeBetween(tx: Transaction, a: string, b: string): Promise<NotifyTarget[]>;
  /**
   * The fan-out of a change of `targetAor` in ONE statement, whatever the number of watchers and
   * subscribers: every user holding it as an accepted buddy (RosterRepository.watchersOf), and
   * every live subscription to it from such a user, each with its next NOTIFY CSeq taken.
   */
  watchersAndNotifiesOf(
    tx: Transaction,
    targetAor: string,
  ): Promise<{ watchers: string[]; notifies: NotifyTarget[] }>;
  /**
   * Removes up to `limit` subscriptions expired at `now` (skipping rows others hold), each with
   * its final CSeq and the presence its final NOTIFY shows: the presentity's aggregate, read
   * without its lock (a presence change holds that lock while it waits for these rows), and
   * offline when the subscriber is no longer an accepted buddy.
   */
  removeExpired(
    tx: Transaction,
    now: Date,
    limit: number,
  ): Promise<Array<NotifyTarget & { presence: AggregatePresence }>>;
}

/** What a NOTIFY body says of the presentity (RFC 3863 §4): reachable (`open`) or not, and the note. */
export interface PresenceDocument {
  entity: string;
  basic: 'open' | 'closed';
  note?: string;
}

/** Writes NOTIFY bodies: libs/sip's PIDF writer, wired by the service. */
export interface PresenceDocumentWriter {
  /** The Content-Type of what `write` returns. */
  readonly contentType: string;
  write(document: PresenceDocument): string;
}

/** SIMPLE subscribers (protocol.md §7): where they are kept and how their NOTIFY bodies are written. */
export interface SimpleSubscribers {
  subscriptions: SubscriptionRepository;
  documents: PresenceDocumentWriter;
}
