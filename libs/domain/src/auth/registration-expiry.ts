import { BatchSweep, type BatchSweepSettings, type EventPublisher } from '../shared';
import type { RegistrationRepository } from './ports';
import { publishRemovals } from './registration-events';

export interface RegistrationExpiryDependencies extends BatchSweepSettings {
  bus: EventPublisher;
  registrations: RegistrationRepository;
}

/**
 * Removes bindings whose expiry passed without a refresh. Expiry counts as logout of the device
 * (protocol.md §5): its session ends too. Safe with several replicas sweeping at once: each
 * batch skips the rows another replica holds.
 */
export class RegistrationExpiry extends BatchSweep {
  constructor(deps: RegistrationExpiryDependencies) {
    // Each batch is announced before its transaction commits (see publishRemovals).
    super(deps, 'transaction', async (tx, at, limit) => {
      const { removed, postponed } = await deps.registrations.removeExpired(tx, at, limit);
      await publishRemovals(deps.bus, removed, 'expired', at);
      return removed.length + postponed;
    });
  }
}
