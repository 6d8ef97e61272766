import { RetentionSweep, type UnitOfWork } from '../shared';
import type { PresenceRepository } from './ports';

/**
 * How long presence keeps a device that logged out or unregistered. Its row lets an older event
 * of the device, arriving late on another topic (a REGISTER decided just before a kick), be seen
 * as stale; a day is far beyond any consumer lag Herald tolerates.
 */
export const ENDED_DEVICE_RETENTION_MS = 24 * 60 * 60 * 1000;

/** Ended devices forgotten per statement. */
const ENDED_DEVICE_BATCH = 500;

export interface EndedDeviceRetentionDependencies {
  unitOfWork: UnitOfWork;
  presence: PresenceRepository;
  now?: () => Date;
}

/** Forgets ended devices older than ENDED_DEVICE_RETENTION_MS: they show nothing either way. */
export class EndedDeviceRetention extends RetentionSweep {
  constructor({ unitOfWork, presence, now }: EndedDeviceRetentionDependencies) {
    super(
      { unitOfWork, retentionMs: ENDED_DEVICE_RETENTION_MS, batchSize: ENDED_DEVICE_BATCH, now },
      (tx, before, limit) => presence.forgetEndedDevices(tx, before, limit),
    );
  }
}
