/**
 * Bounds the sends started in one turn of the event loop. The bus hands a fetched batch of
 * outbound records to the consumer in one chain of microtasks: sent all at once, hundreds of
 * pushes would hold the loop while the UDP socket fills with inbound requests (and the pushes'
 * own answers) that nobody reads. Past `perTurn` admissions, the next waits for setImmediate, so
 * the loop's poll phase reads the sockets first.
 */
export class TurnPacer {
  private admittedThisTurn = 0;
  private turnEnd: Promise<void> = Promise.resolve();

  constructor(private readonly perTurn: number) {
    if (!Number.isInteger(perTurn) || perTurn < 1) {
      throw new RangeError(`a pacer admits at least one send per turn, got ${perTurn}`);
    }
  }

  /** Resolves when the caller may start its send: at once, or in a later turn of the event loop. */
  async admit(): Promise<void> {
    while (this.admittedThisTurn >= this.perTurn) await this.turnEnd;
    if (this.admittedThisTurn === 0) {
      // Immediates queued now run after the next poll phase (Node's event loop: poll, then check).
      this.turnEnd = new Promise((resolve) =>
        setImmediate(() => {
          this.admittedThisTurn = 0;
          resolve();
        }),
      );
    }
    this.admittedThisTurn += 1;
  }
}
