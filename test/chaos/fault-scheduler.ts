// Injects one fault at a time, chosen and timed by a seeded generator of its own (not shared with
// the load, whose draws depend on timing), until told to stop: the same seed gives the same kinds,
// targets and pauses (the machine's timing still varies). Kinds are dealt from a shuffled deck of
// all of them, so every kind comes once in each run of FAULT_KINDS.length faults: drawn
// independently, a 1-in-6 kind was missing from a short run of 5 faults 40 % of the time.
import type { ClusterApp } from '../support/herald-cluster';
import { CLUSTER_SIDES, type ClusterSide } from '../support/herald-scaled-cluster';
import { APPS, type ChaosDeployment, SERVICES } from './chaos-deployment';

export const FAULT_KINDS = [
  'kill',
  'freeze',
  'kafka-restart',
  'postgres-restart',
  'postgres-partition',
  'postgres-slow',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface InjectedFault {
  kind: FaultKind;
  /** `side0-auth`, or `kafka` / `postgres`. */
  target: string;
  /** Milliseconds since the load started. */
  startedAtMs: number;
  endedAtMs: number;
}

/** Pause between two faults: [MIN, MIN + SPREAD). */
const GAP_MIN_MS = 3_000;
const GAP_SPREAD_MS = 5_000;
/** How long a freeze, a partition or a slow link lasts: [MIN, MIN + SPREAD). */
const SPELL_MIN_MS = 2_000;
const SPELL_SPREAD_MS = 6_000;
/** The slow link's delay per chunk: a database on a disk taking that long per round trip. */
const SLOW_LINK_DELAY_MS = 40;

function pick<T>(random: () => number, choices: readonly T[]): T {
  return choices[Math.floor(random() * choices.length)]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The kinds in a seeded random order (Fisher-Yates). */
function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const deck = [...items];
  for (let index = deck.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [deck[index], deck[other]] = [deck[other]!, deck[index]!];
  }
  return deck;
}

export class FaultScheduler {
  readonly injected: InjectedFault[] = [];
  private stopping = false;
  /** The kinds still to come in this round: each kind once per round. */
  private deck: FaultKind[] = [];

  constructor(
    private readonly deployment: ChaosDeployment,
    private readonly random: () => number,
    private readonly loadStart: number,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Injects faults until `stop` or until `until` (no fault starts later: the load's last actions,
   * which may wait out a broker restart, do not stretch the faulty phase); resolves once the last
   * one has ended (all processes back).
   */
  async run(until: number): Promise<void> {
    while (!this.stopping) {
      await sleep(GAP_MIN_MS + this.random() * GAP_SPREAD_MS);
      if (this.stopping || Date.now() >= until) break;
      if (this.deck.length === 0) this.deck = shuffled(this.random, FAULT_KINDS);
      await this.inject(this.deck.pop()!);
    }
  }

  stop(): void {
    this.stopping = true;
  }

  private async inject(kind: FaultKind): Promise<void> {
    const side: ClusterSide = pick(this.random, CLUSTER_SIDES);
    const spellMs = SPELL_MIN_MS + this.random() * SPELL_SPREAD_MS;
    const startedAt = Date.now();
    let target: string;
    switch (kind) {
      case 'kill': {
        const app: ClusterApp = pick(this.random, APPS);
        target = `side${side}-${app}`;
        await this.deployment.killAndRestart(side, app);
        break;
      }
      case 'freeze': {
        const app: ClusterApp = pick(this.random, APPS);
        target = `side${side}-${app}`;
        await this.deployment.freeze(side, app, spellMs);
        break;
      }
      case 'kafka-restart':
        target = 'kafka';
        await this.deployment.crashRestartKafka();
        break;
      case 'postgres-restart':
        target = 'postgres';
        await this.deployment.crashRestartPostgres();
        break;
      case 'postgres-partition':
      case 'postgres-slow': {
        const app = pick(this.random, SERVICES);
        target = `side${side}-${app}`;
        const relay = this.deployment.relay(side, app);
        relay.setMode(
          kind === 'postgres-partition'
            ? { kind: 'partitioned' }
            : { kind: 'slow', delayMs: SLOW_LINK_DELAY_MS },
        );
        await sleep(spellMs);
        relay.setMode({ kind: 'open' });
        break;
      }
    }
    const fault: InjectedFault = {
      kind,
      target,
      startedAtMs: startedAt - this.loadStart,
      endedAtMs: Date.now() - this.loadStart,
    };
    this.injected.push(fault);
    this.log(`chaos: ${kind} ${target} from ${fault.startedAtMs} to ${fault.endedAtMs} ms`);
  }
}
