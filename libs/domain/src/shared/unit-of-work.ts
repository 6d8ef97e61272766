/**
 * Opaque handle of one open database transaction. Domain code only passes it on to ports;
 * the persistence adapter that opened it is the only one that can use it.
 */
export abstract class Transaction {
  // Nominal brand: a structurally empty class would accept any object as a transaction.
  protected readonly transactionBrand = true;
}

/** Runs work in one database transaction: committed when `work` resolves, rolled back when it throws. */
export interface UnitOfWork {
  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  /**
   * Runs work of ONE statement without BEGIN and COMMIT (it commits on its own): one round trip
   * instead of three, for a write that needs no other statement to commit with it.
   */
  runSingleStatement<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
}
