import { Transaction, type UnitOfWork } from '#herald/domain';
import type { DataSource, EntityManager } from 'typeorm';
import { PersistenceError } from './persistence-error';

/** A domain Transaction backed by a TypeORM transactional EntityManager. */
class TypeOrmTransaction extends Transaction {
  constructor(readonly manager: EntityManager) {
    super();
  }
}

export class TypeOrmUnitOfWork implements UnitOfWork {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(new TypeOrmTransaction(manager)));
  }

  runSingleStatement<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    // The DataSource's own manager takes a pooled connection per statement, in autocommit.
    return work(new TypeOrmTransaction(this.dataSource.manager));
  }
}

/** The EntityManager of a transaction opened by TypeOrmUnitOfWork: repository adapters use this. */
export function entityManagerOf(tx: Transaction): EntityManager {
  if (tx instanceof TypeOrmTransaction) {
    return tx.manager;
  }
  throw new PersistenceError(
    'PERSISTENCE_FOREIGN_TRANSACTION',
    'transaction was not opened by TypeOrmUnitOfWork',
  );
}
