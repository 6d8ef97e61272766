import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A row of `accounts` (schema: migration AuthAccountsRegistrationsSessions1795493286458). */
@Entity({ name: 'accounts' })
export class AccountEntity {
  @PrimaryColumn('text')
  username!: string;

  @Column('text', { unique: true })
  aor!: string;

  @Column('text')
  realm!: string;

  @Column('text')
  ha1Md5!: string;

  @Column('text')
  ha1Sha256!: string;

  @Column('boolean')
  disabled!: boolean;

  @Column({ type: 'text', nullable: true })
  displayName!: string | null;

  @Column('jsonb')
  settings!: Record<string, unknown>;

  @Column('timestamptz')
  createdAt!: Date;

  @Column('timestamptz')
  updatedAt!: Date;
}

/** A row of `registrations`: one binding of an AOR to a device. */
@Entity({ name: 'registrations' })
@Index('ix_registrations_expires_at', ['expiresAt'])
@Index('ix_registrations_edge_id', ['edgeId'])
export class RegistrationEntity {
  @PrimaryColumn('text')
  aor!: string;

  @PrimaryColumn('text')
  deviceId!: string;

  @Column('text')
  contact!: string;

  /** The Contact's header parameters other than expires, '' for none (migration AuthRegistrationsContactParams1796563600000). */
  @Column('text', { default: '' })
  contactParams!: string;

  @Column('text')
  edgeId!: string;

  @Column('text')
  flowId!: string;

  @Column('text')
  transport!: string;

  @Column('jsonb')
  source!: { address: string; port: number };

  @Column('text')
  callId!: string;

  @Column('bigint')
  cseq!: string;

  @Column('timestamptz')
  expiresAt!: Date;

  /** The device sent `login` during this registration (migration AuthRegistrationsJsonClient1795500100000). */
  @Column('boolean', { default: false })
  jsonClient!: boolean;

  /** When the binding was created, kept across refreshes (migration AuthRegistrationsRegisteredAt1795600200000). */
  @Column('timestamptz', { default: () => 'now()' })
  registeredAt!: Date;
}

/** A row of `sessions`: a logged-in device (deleted with its registration). */
@Entity({ name: 'sessions' })
export class SessionEntity {
  @PrimaryColumn('text')
  aor!: string;

  @PrimaryColumn('text')
  deviceId!: string;

  @Column('text')
  carrier!: string;

  @Column('text')
  status!: string;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @Column({ type: 'text', nullable: true })
  deviceName!: string | null;

  @Column({ type: 'text', nullable: true })
  deviceAgent!: string | null;

  @Column('timestamptz')
  startedAt!: Date;
}
