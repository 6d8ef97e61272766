// The web app's state that does not touch the page: roster grouping, addresses, conversations.
import type { ImPush, ImStatusPush, RosterBuddy } from '#herald/client';

/** The group of buddies the user put in none. */
export const NO_GROUP = 'Buddies';

export interface RosterGroup {
  name: string;
  buddies: RosterBuddy[];
}

/** The roster as the user grouped it: groups by name (ungrouped last), buddies by name within each. */
export function groupRoster(buddies: readonly RosterBuddy[]): RosterGroup[] {
  const groups = new Map<string, RosterBuddy[]>();
  for (const buddy of buddies) {
    const name = buddy.group?.trim() || NO_GROUP;
    groups.set(name, [...(groups.get(name) ?? []), buddy]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === NO_GROUP ? 1 : b === NO_GROUP ? -1 : a.localeCompare(b)))
    .map(([name, members]) => ({
      name,
      buddies: members.sort((a, b) => displayName(a).localeCompare(displayName(b))),
    }));
}

export function displayName(buddy: Pick<RosterBuddy, 'uri' | 'name'>): string {
  return buddy.name?.trim() || userOf(buddy.uri);
}

/** `sip:alice@herald.local` -> `alice`. */
export function userOf(uri: string): string {
  return uri.replace(/^sips?:/i, '').split('@')[0] ?? uri;
}

/** What a user types for a buddy (`bob`, `bob@domain`, `sip:bob@domain`) as an AOR. */
export function toAor(input: string, domain: string): string {
  const trimmed = input.trim();
  if (/^sips?:/i.test(trimmed)) return trimmed;
  return trimmed.includes('@') ? `sip:${trimmed}` : `sip:${trimmed}@${domain}`;
}

export type MessageState = 'sending' | 'sent' | 'delivered' | 'stored' | 'failed' | 'received';

export interface ChatMessage {
  direction: 'in' | 'out';
  text: string;
  /** RFC 3339. */
  at: string;
  /** Herald's id; an outgoing message has it once im.send's result came. */
  messageId: string | undefined;
  /** Received from the offline store at sign-in. */
  offline: boolean;
  state: MessageState;
  error?: string;
}

/** Every conversation of the signed-in user, by the other party's AOR. */
export class Conversations {
  private readonly byPeer = new Map<string, ChatMessage[]>();
  private readonly byMessageId = new Map<string, ChatMessage>();
  /** An im.status can come before the im.send result has been handled: kept until it has. */
  private readonly earlyStatus = new Map<string, ImStatusPush>();

  with(peer: string): readonly ChatMessage[] {
    return this.byPeer.get(peer) ?? [];
  }

  peers(): string[] {
    return [...this.byPeer.keys()];
  }

  outgoing(peer: string, text: string, at: Date = new Date()): ChatMessage {
    const message: ChatMessage = {
      direction: 'out',
      text,
      at: at.toISOString(),
      messageId: undefined,
      offline: false,
      state: 'sending',
    };
    this.add(peer, message);
    return message;
  }

  /** im.send's result: the message has an id; a status that came first applies now. */
  accepted(message: ChatMessage, messageId: string): void {
    message.messageId = messageId;
    message.state = 'sent';
    this.byMessageId.set(messageId, message);
    const early = this.earlyStatus.get(messageId);
    if (early !== undefined) {
      this.earlyStatus.delete(messageId);
      this.status(early);
    }
  }

  refused(message: ChatMessage, reason: string): void {
    message.state = 'failed';
    message.error = reason;
  }

  /** An im push; undefined when this message is already shown (a second delivery of it). */
  incoming(
    push: Pick<ImPush, 'messageId' | 'from' | 'text' | 'sentAt' | 'offline'>,
  ): ChatMessage | undefined {
    if (this.byMessageId.has(push.messageId)) return undefined;
    const message: ChatMessage = {
      direction: 'in',
      text: push.text,
      at: push.sentAt,
      messageId: push.messageId,
      offline: push.offline,
      state: 'received',
    };
    this.byMessageId.set(push.messageId, message);
    this.add(push.from, message);
    return message;
  }

  /** An im.status push; returns the message it changed, if it is known yet. */
  status(push: Pick<ImStatusPush, 'messageId' | 'state' | 'error'>): ChatMessage | undefined {
    const message = this.byMessageId.get(push.messageId);
    if (message === undefined) {
      this.earlyStatus.set(push.messageId, push as ImStatusPush);
      return undefined;
    }
    message.state = push.state;
    if (push.error !== undefined) message.error = push.error.message;
    return message;
  }

  private add(peer: string, message: ChatMessage): void {
    this.byPeer.set(peer, [...this.with(peer), message]);
  }
}
