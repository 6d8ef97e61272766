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
}
