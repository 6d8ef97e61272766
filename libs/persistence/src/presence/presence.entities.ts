import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A row of `roster_entries` (schema: migration PresenceRostersAndStatus). */
@Entity({ name: 'roster_entries' })
@Index('ix_roster_entries_watchers', ['buddyAor'], { where: `state = 'both'` })
export class RosterEntryEntity {
  @PrimaryColumn('text')
  ownerAor!: string;

  @PrimaryColumn('text')
  buddyAor!: string;

  @Column({ type: 'text', nullable: true })
  name!: string | null;

  @Column({ type: 'text', nullable: true })
  group!: string | null;

  @Column('text')
  state!: 'both' | 'pending-out' | 'pending-in';

  @Column('timestamptz')
  createdAt!: Date;
}

/** A row of `presence_devices`: one device's presence (status only while it has a session). */
@Entity({ name: 'presence_devices' })
export class PresenceDeviceEntity {
  @PrimaryColumn('text')
  aor!: string;

  @PrimaryColumn('text')
  deviceId!: string;

  @Column('text')
  mode!: 'plain' | 'session' | 'ended';

  @Column({ type: 'text', nullable: true })
  status!: 'online' | 'away' | 'busy' | 'invisible' | null;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @Column('timestamptz')
  changedAt!: Date;

  /** The PUBLISH in force (migration PresencePublications): all four set, or none. */
  @Column({ type: 'text', nullable: true })
  publicationEtag!: string | null;

  @Column({ type: 'text', nullable: true })
  publicationBasic!: 'open' | 'closed' | null;

  @Column({ type: 'text', nullable: true })
  publicationNote!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  publicationExpiresAt!: Date | null;
}

/** A row of `presence_aggregates`: what others see of one user. */
@Entity({ name: 'presence_aggregates' })
export class PresenceAggregateEntity {
  @PrimaryColumn('text')
  aor!: string;

  @Column('text')
  status!: 'online' | 'away' | 'busy' | 'offline';

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @Column('timestamptz')
  changedAt!: Date;
}
