import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A row of `plain_device_queue`: a new registration waiting out the login grace period. */
@Entity({ name: 'plain_device_queue' })
@Index('ix_plain_device_queue_due_at', ['dueAt'])
export class ImPlainDeviceQueueEntity {
  @PrimaryColumn('text')
  aor!: string;

  @PrimaryColumn('text')
  deviceId!: string;

  @Column('timestamptz')
  dueAt!: Date;
}
