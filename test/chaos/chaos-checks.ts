// The chaos test's invariants, each returning its violations with the messages involved, so a
// failing run prints what went wrong and not only that something did.
import type { Envelope, SipClient } from '../support/sip-client';
import {
  deliveryReport,
  plainTextArrivals,
  presenceMismatches,
  type SentIm,
} from '../scale-out/scale-out-checks';
import type { SimulatedUser } from '../scale-out/simulated-user';

/** A command that got 200 OK, and the device that sent it. */
export interface AcceptedCommand {
  user: SimulatedUser;
  device: SipClient | undefined;
  envelope: Envelope & { id: string };
}

export interface Violation {
  invariant: string;
  detail: string;
}

/** Every accepted IM reached its recipient under exactly one messageId (possibly stored first). */
export function imViolations(users: readonly SimulatedUser[], sent: readonly SentIm[]): Violation[] {
  const report = deliveryReport(users, sent);
  return [
    ...report.missing.map((im) => ({
      invariant: 'accepted IM delivered',
      detail: `${im.commandId} ${im.from.name} -> ${im.to.name}: "${im.text}" never reached a device of ${im.to.name}`,
    })),
    ...report.underSeveralIds.map((dup) => ({
      invariant: 'one messageId per IM',
      detail: `${dup.recipient} got "${dup.text}" under ${dup.messageIds.join(', ')}`,
    })),
    ...plainTextArrivals(users).map((arrival) => ({
      invariant: 'JSON clients get JSON',
      detail: `text/plain MESSAGE to a JSON client: ${arrival}`,
    })),
  ];
}

/**
 * Every command has at most one result (however often it was pushed, one push id and one
 * outcome), and a command from a device still connected at the end has one.
 */
export function resultViolations(commands: readonly AcceptedCommand[]): Violation[] {
  return commands.flatMap(({ user, device, envelope }) => {
    const results = user
      .pushesOf(`${envelope.type}.result`)
      .filter((push) => push.envelope['re'] === envelope.id)
      .map((push) => push.envelope);
    const pushIds = new Set(results.map((result) => String(result['id'])));
    const outcomes = new Set(
      results.map((result) => JSON.stringify({ ok: result['ok'], error: result['error'] })),
    );
    const violations: Violation[] = [];
    if (pushIds.size > 1 || outcomes.size > 1) {
      violations.push({
        invariant: 'exactly one result per command',
        detail: `${user.name} ${envelope.type} ${envelope.id}: ${JSON.stringify(results)}`,
      });
    }
    const stillConnected = device !== undefined && device === user.currentDevice && !device.closed;
    if (results.length === 0 && stillConnected) {
      violations.push({
        invariant: 'exactly one result per command',
        detail: `${user.name} ${envelope.type} ${envelope.id}: no result on its still connected device`,
      });
    }
    return violations;
  });
}

/** What each watcher last saw of each buddy is the buddy's final status. */
export function presenceViolations(
  buddies: ReadonlyArray<readonly [SimulatedUser, SimulatedUser]>,
): Violation[] {
  return presenceMismatches(buddies).map((mismatch) => ({
    invariant: 'presence converges',
    detail: `${mismatch.watcher} sees ${mismatch.buddy} as ${mismatch.seen ?? 'nothing'}, truth ${mismatch.expected}`,
  }));
}

/** No process is left dead (each killed one came back and stayed up). */
export function processViolations(dead: readonly string[]): Violation[] {
  return dead.map((name) => ({ invariant: 'no process left down', detail: `${name} is not running` }));
}

/** Every process's resident memory is within `boundMiB` once the faults stop. */
export function memoryViolations(residentMiB: ReadonlyMap<string, number>, boundMiB: number): Violation[] {
  return [...residentMiB]
    .filter(([, mib]) => mib > boundMiB)
    .map(([name, mib]) => ({
      invariant: 'memory bounded',
      detail: `${name} resident ${mib.toFixed(0)} MiB > ${boundMiB} MiB`,
    }));
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((violation) => `VIOLATION [${violation.invariant}] ${violation.detail}`).join('\n');
}
