/**
 * The journal id of a record the journaled bus never stored: a record of a topic no group
 * consumed when it was published (handed over in memory only), or one whose INSERT failed.
 */
export const NOT_JOURNALED = -1n;

/**
 * Where a record handed to the in-process bus stands in the journal. A published record is handed
 * over while its INSERT is in flight, so its id may not be known yet when a group has handled it:
 * what needs the id (storing the group's position) waits for it here.
 */
export class JournalPosition {
  private waiting: Array<(id: bigint) => void> | undefined;

  /** `id` undefined: the record's INSERT is in flight. */
  constructor(private known: bigint | undefined) {}

  /** The record's journal id, NOT_JOURNALED, or undefined while its INSERT is in flight. */
  get id(): bigint | undefined {
    return this.known;
  }

  /** Calls `then` with the id (NOT_JOURNALED if the INSERT failed): at once when it is known. */
  whenKnown(then: (id: bigint) => void): void {
    if (this.known !== undefined) {
      then(this.known);
    } else {
      (this.waiting ??= []).push(then);
    }
  }

  /** The INSERT returned `id` (or failed: NOT_JOURNALED); tells whoever waited for it. */
  settle(id: bigint): void {
    this.known = id;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.forEach((then) => then(id));
  }
}

/** The position of every record never journaled: known at once, NOT_JOURNALED. */
export const UNJOURNALED_POSITION = new JournalPosition(NOT_JOURNALED);
