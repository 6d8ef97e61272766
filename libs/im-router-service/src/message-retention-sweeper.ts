import { Inject, Injectable, Logger } from '@nestjs/common';
import { MessageRetention } from '#herald/domain';
import { SqlMessageRetentionStore, TypeOrmUnitOfWork } from '#herald/persistence';
import { heraldMetrics } from '#herald/observability';
import { IntervalSweeper } from '#herald/runtime';
import type { DataSource } from 'typeorm';

/** Injection token of the module's MessageRetention. */
export const IM_ROUTER_MESSAGE_RETENTION = Symbol('IM_ROUTER_MESSAGE_RETENTION');

/** How often delivered messages past their retention are deleted (the retention is in days). */
export const MESSAGE_RETENTION_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The retention of delivered messages on PostgreSQL, counting what each batch deletes
 * (`herald_im_messages_pruned_total`).
 */
export function createMessageRetention(dataSource: DataSource, retentionDays: number): MessageRetention {
  return new MessageRetention({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    store: new SqlMessageRetentionStore(),
    retentionMs: retentionDays * DAY_MS,
    deleted: (count) => heraldMetrics().imMessagesPruned(count),
  });
}

/** Runs MessageRetention.sweep every MESSAGE_RETENTION_SWEEP_INTERVAL_MS, one sweep at a time. */
@Injectable()
export class MessageRetentionSweeper extends IntervalSweeper {
  constructor(@Inject(IM_ROUTER_MESSAGE_RETENTION) private readonly retention: MessageRetention) {
    super(
      MESSAGE_RETENTION_SWEEP_INTERVAL_MS,
      'message retention sweep',
      new Logger('MessageRetentionSweeper'),
    );
  }

  // A failed batch rolled back: its messages stay and the next sweep retries them.
  protected async sweep(): Promise<void> {
    const deleted = await this.retention.sweep();
    if (deleted > 0) this.logger.log(`deleted ${deleted} delivered messages past their retention`);
  }
}
