// Prints the chaos soak's JSON report (test/chaos/chaos.soak.ts with CHAOS_REPORT) as the
// markdown table of docs/reliability.md, with the machine it ran on, then each violation with the
// events that broke its rule.
import { readFileSync } from 'node:fs';
import { machineInfo } from './lib/results';

interface ChaosReport {
  seed: number;
  users: number;
  loadSeconds: number;
  faults: Record<string, number>;
  imsSent: number;
  imsAccepted: number;
  imsDelivered: number;
  imsRefusedAfter200: number;
  /** Absent from reports of runs before the refusals were stored. */
  imsRefusedUnseenBySender?: number;
  imsUnconfirmed: number;
  imsLost: number;
  imsUnderSeveralIds: number;
  imsAsPlainTextBeforeLogin: number;
  redeliveriesAbsorbedById: number;
  commandsAccepted: number;
  presence: number;
  roster: number;
  logouts: number;
  drops: number;
  refreshes: number;
  deliveredAfterMs: number | null;
  convergedAfterMs: number | null;
  violationCount: number;
  violations: { invariant: string; detail: string; events: { at?: number; event: string }[] }[];
}

const path = process.argv[2];
if (path === undefined) throw new Error('usage: chaos-report.js REPORT.json');
const report = JSON.parse(readFileSync(path, 'utf8')) as ChaosReport;
const machine = machineInfo();
const after = (ms: number | null): string =>
  ms === null ? 'never (violation)' : `${(ms / 1000).toFixed(1)} s`;
const rows: [string, string | number][] = [
  ['seed', report.seed],
  ['load', `${report.loadSeconds} s, ${report.users} users on UDP, TCP and WS`],
  ...Object.entries(report.faults).map(([kind, count]): [string, number] => [`faults: ${kind}`, count]),
  ['commands accepted (200 OK)', report.commandsAccepted],
  ['IMs sent / accepted', `${report.imsSent} / ${report.imsAccepted}`],
  ['IMs delivered (distinct, by messageId)', report.imsDelivered],
  ['IMs refused after 200 OK (an error result, e.g. not-logged-in)', report.imsRefusedAfter200],
  [
    'IMs refused with no result seen (sender gone, or its binding lapsed; the database holds the refusal)',
    report.imsRefusedUnseenBySender ?? 'not counted',
  ],
  ['IMs unconfirmed (no result, sender gone, no trace in the database)', report.imsUnconfirmed],
  ['IMs lost', report.imsLost],
  ['IMs duplicated (under two messageIds)', report.imsUnderSeveralIds],
  [
    'IMs delivered as text/plain to a device not yet logged in (protocol.md §7)',
    report.imsAsPlainTextBeforeLogin,
  ],
  ['redeliveries absorbed by messageId', report.redeliveriesAbsorbedById],
  ['presence changes / roster changes', `${report.presence} / ${report.roster}`],
  ['logouts / devices vanished / refreshes', `${report.logouts} / ${report.drops} / ${report.refreshes}`],
  [
    'every accepted IM delivered',
    // The drain waits for every IM without a refusal it has seen, so an IM refused with no result
    // seen (or unconfirmed) keeps it waiting: "never" alone is no violation (the rows above and
    // the violations count say what became of each IM).
    report.deliveredAfterMs === null
      ? 'not before the drain ended (IMs without a result seen; see the rows above)'
      : `${after(report.deliveredAfterMs)} after the faults stopped`,
  ],
  ['presence converged', `${after(report.convergedAfterMs)} after the faults stopped`],
  ['invariant violations', report.violationCount],
];
console.log(
  `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, load ${machine.load}\n`,
);
console.log('| | |\n| --- | --- |');
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
for (const violation of report.violations) {
  console.log(`\n- [${violation.invariant}] ${violation.detail}`);
  for (const { at, event } of violation.events) {
    console.log(`  - ${at === undefined ? '' : `${at.toFixed(3)} s: `}${event}`);
  }
}
