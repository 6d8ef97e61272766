import { Clock, TimerHandle } from '#herald/sip';

/** What a registration bound to one flow (RFC 5626 §3.1: requests go back over the flow it arrived on). */
export interface FlowBinding {
  flowId: string;
  aor: string;
  deviceId: string;
  /** The registered Contact URI: Request-URI of pushes to this device. */
  contact: string;
  /** Clock time (ms) when the binding lapses unless refreshed. */
  expiresAt: number;
}

/** How often lapsed bindings are swept; lookups also ignore lapsed ones in between. */
export const FLOW_PURGE_INTERVAL_MS = 10_000;

/**
 * The flows of devices registered through this edge: flowId -> binding, with AOR lookups. The only
 * state the edge keeps besides live transactions; it dies with the process, as its flows do.
 */
export class FlowRegistry {
  private readonly byFlow = new Map<string, FlowBinding>();
  private readonly byAor = new Map<string, Set<string>>();
  private sweepTimer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onRemoved: (binding: FlowBinding) => void = () => undefined,
  ) {}

  /** Binds (or refreshes) a flow; a flow carries one device, so an older binding is replaced. */
  bind(binding: FlowBinding): void {
    this.unbind(binding.flowId);
    this.byFlow.set(binding.flowId, binding);
    const flows = this.byAor.get(binding.aor) ?? new Set<string>();
    flows.add(binding.flowId);
    this.byAor.set(binding.aor, flows);
  }

  /** The live binding of a flow; a lapsed one is purged on the way. */
  lookup(flowId: string): FlowBinding | undefined {
    const binding = this.byFlow.get(flowId);
    if (binding === undefined) return undefined;
    if (binding.expiresAt <= this.clock.now()) {
      this.remove(binding);
      return undefined;
    }
    return binding;
  }

  /** Live bindings of an AOR on this edge. */
  bindingsOf(aor: string): FlowBinding[] {
    const flowIds = [...(this.byAor.get(aor) ?? [])];
    return flowIds.map((flowId) => this.lookup(flowId)).filter((b): b is FlowBinding => b !== undefined);
  }

  /** Removes the flow's binding (unregister, or its connection closed); returns it if there was one. */
  unbind(flowId: string): FlowBinding | undefined {
    const binding = this.byFlow.get(flowId);
    if (binding !== undefined) this.remove(binding);
    return binding;
  }

  /** Removes every binding whose expiry has passed; returns how many. */
  purgeExpired(): number {
    const now = this.clock.now();
    const lapsed = [...this.byFlow.values()].filter((binding) => binding.expiresAt <= now);
    for (const binding of lapsed) this.remove(binding);
    return lapsed.length;
  }

  /** Starts the periodic sweep (bounded memory even for flows never used again). */
  startSweeping(intervalMs: number = FLOW_PURGE_INTERVAL_MS): void {
    this.stopSweeping();
    const sweep = (): void => {
      this.purgeExpired();
      this.sweepTimer = this.clock.setTimer(intervalMs, sweep);
    };
    this.sweepTimer = this.clock.setTimer(intervalMs, sweep);
  }

  stopSweeping(): void {
    if (this.sweepTimer !== undefined) this.clock.clearTimer(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  get size(): number {
    return this.byFlow.size;
  }

  private remove(binding: FlowBinding): void {
    this.byFlow.delete(binding.flowId);
    const flows = this.byAor.get(binding.aor);
    flows?.delete(binding.flowId);
    if (flows?.size === 0) this.byAor.delete(binding.aor);
    this.onRemoved(binding);
  }
}
