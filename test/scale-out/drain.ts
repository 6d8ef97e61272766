// After a load with faults: the users keep their registrations alive while the test waits for
// every accepted IM to arrive and for presence to converge, and learns how long each took.
import type { SimulatedUser } from './simulated-user';

export interface DrainOptions {
  /** What the times are measured from (the last change, or the end of the faults). */
  since: number;
  /** The longest wait after `since`. */
  boundMs: number;
  refreshIntervalMs: number;
  /** How long one refresh may keep being re-sent. */
  commandDeadlineMs: number;
  pollMs: number;
  delivered: () => boolean;
  converged: () => boolean;
}

/** Milliseconds after `since` at which each condition first held (undefined: not within the bound). */
export interface DrainTimes {
  deliveredAfterMs: number | undefined;
  convergedAfterMs: number | undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function drain(users: readonly SimulatedUser[], options: DrainOptions): Promise<DrainTimes> {
  let draining = true;
  const keepRegistered = Promise.all(
    users.map(async (user) => {
      while (draining) {
        await sleep(options.refreshIntervalMs);
        if (draining) await user.refresh(Date.now() + options.commandDeadlineMs);
      }
    }),
  );
  const times: DrainTimes = { deliveredAfterMs: undefined, convergedAfterMs: undefined };
  try {
    while (Date.now() - options.since < options.boundMs) {
      if (times.deliveredAfterMs === undefined && options.delivered()) {
        times.deliveredAfterMs = Date.now() - options.since;
      }
      if (times.convergedAfterMs === undefined && options.converged()) {
        times.convergedAfterMs = Date.now() - options.since;
      }
      if (times.deliveredAfterMs !== undefined && times.convergedAfterMs !== undefined) break;
      await sleep(options.pollMs);
    }
  } finally {
    draining = false;
    await keepRegistered;
  }
  return times;
}
