import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';

/** A row of `messages` (schema: migration ImMessages1795493069063). */
@Entity({ name: 'messages' })
@Unique('uq_messages_sender_message_id', ['senderAor', 'messageId'])
@Index('ix_messages_pending', ['recipientAor', 'seq'], { where: 'delivered_at IS NULL' })
export class ImMessageEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** Insertion order: offline messages are delivered by seq. */
  @Column({
    type: 'bigint',
    generatedIdentity: 'ALWAYS',
    generated: 'identity',
    insert: false,
    update: false,
  })
  seq!: string;

  @Column('text')
  senderAor!: string;

  @Column('text')
  commandId!: string;

  @Column('text')
  messageId!: string;

  @Column('text')
  recipientAor!: string;

  @Column('text')
  text!: string;

  @Column('timestamptz')
  sentAt!: Date;

  @Column({ type: 'timestamptz', nullable: true })
  deliveredAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  storedNotifiedAt!: Date | null;
}

/** A row of `message_deliveries`: one push of a message to one device. */
@Entity({ name: 'message_deliveries' })
@Index('ix_message_deliveries_message_key', ['messageKey'])
export class ImDeliveryEntity {
  @PrimaryColumn('text')
  pushId!: string;

  @Column('uuid')
  messageKey!: string;

  @Column('text')
  recipientAor!: string;

  @Column('text')
  deviceId!: string;

  @Column('timestamptz')
  attemptedAt!: Date;

  @Column({ type: 'text', nullable: true })
  outcome!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  outcomeAt!: Date | null;
}
