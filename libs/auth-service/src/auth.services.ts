import type { EventBus } from '#herald/bus';
import { groupCommitMeter } from '#herald/observability';
import {
  AccountService,
  AuthCommandService,
  ClaimRetention,
  type DigestFunctions,
  REGISTER_CLAIM_RETENTION_MS,
  REGISTER_IDEMPOTENCY_SERVICE,
  Registrar,
  RegistrationExpiry,
} from '#herald/domain';
import {
  SqlDeviceDirectory,
  SqlAccountRepository,
  SqlIdempotencyStore,
  SqlRegistrationRepository,
  SqlSessionRepository,
  TypeOrmUnitOfWork,
} from '#herald/persistence';
import { ha1, verifyDigestResponse } from '#herald/sip';
import type { DataSource } from 'typeorm';
import type { AuthConfig } from './auth.config';
import { ReportedLateRegisters } from './late-registers';

/** libs/sip's digest functions, as the domain's port. */
export const SIP_DIGEST: DigestFunctions = { ha1, verifyResponse: verifyDigestResponse };

/**
 * The provisioning service on a DataSource: what the admin API and the CLI share. With a bus,
 * deleting or disabling an account removes its devices and tells presence and im-router.
 */
export function createAccountService(dataSource: DataSource, domain: string, bus?: EventBus): AccountService {
  return new AccountService({
    unitOfWork: new TypeOrmUnitOfWork(dataSource),
    accounts: new SqlAccountRepository(),
    digest: SIP_DIGEST,
    sipDomain: domain,
    ...(bus === undefined ? {} : { deviceRemoval: { bus, registrations: new SqlRegistrationRepository() } }),
  });
}

export interface AuthServices {
  registrar: Registrar;
  commands: AuthCommandService;
  expiry: RegistrationExpiry;
  /** Deletes REGISTER claims once no redelivery can need them. */
  registerClaims: ClaimRetention;
}

/** Wires the domain services of auth to the persistence adapters and the bus. */
export function createAuthServices(bus: EventBus, dataSource: DataSource, config: AuthConfig): AuthServices {
  const unitOfWork = new TypeOrmUnitOfWork(dataSource);
  const idempotency = new SqlIdempotencyStore();
  const accounts = new SqlAccountRepository();
  const registrations = new SqlRegistrationRepository();
  return {
    registrar: new Registrar({
      unitOfWork,
      idempotency,
      bus,
      accounts,
      registrations,
      claimingRegistrations: registrations,
      digest: SIP_DIGEST,
      maxExpiresSeconds: config.maxExpiresSeconds,
      lateRegisters: new ReportedLateRegisters(),
      supersededReason: config.announceSuperseded === false ? 'expired' : 'superseded',
      groups: groupCommitMeter('registrar'),
    }),
    commands: new AuthCommandService({
      unitOfWork,
      idempotency,
      bus,
      accounts,
      registrations,
      sessions: new SqlSessionRepository(),
      directory: new SqlDeviceDirectory(dataSource),
    }),
    expiry: new RegistrationExpiry({ unitOfWork, bus, registrations, batchSize: config.sweepBatchSize }),
    registerClaims: new ClaimRetention({
      unitOfWork,
      store: idempotency,
      service: REGISTER_IDEMPOTENCY_SERVICE,
      retentionMs: REGISTER_CLAIM_RETENTION_MS,
      batchSize: config.sweepBatchSize,
    }),
  };
}
