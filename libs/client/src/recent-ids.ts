/**
 * The last `capacity` push ids seen: Herald may deliver a push again (a retransmission in a new
 * transaction, a re-send after a reconnect), and the client must act on each id once.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 2048) {}

  /** True the first time `id` is seen (and remembers it); false for a repeat. */
  firstSeen(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    // A Set iterates in insertion order: the first entry is the oldest.
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }
}
