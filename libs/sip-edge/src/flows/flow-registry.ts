import { Clock, TimerHandle } from '#herald/sip';
import { detachedString } from '../sip/detached-string';

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
 * What the registry holds per flow (one per registered device, so it is kept small): the strings
 * copied out of the request that carried them, the device id only when it is not the Contact.
 */
class FlowRecord {
  constructor(
    readonly aor: string,
    readonly contact: string,
    /** The +sip.instance; absent when the Contact URI names the device. */
    readonly instanceId: string | undefined,
    readonly expiresAt: number,
  ) {}
}

/**
 * The flows of devices registered through this edge: flowId -> binding, with AOR lookups. The only
 * state the edge keeps besides live transactions; it dies with the process, as its flows do.
 * An AOR with one flow (the usual case) maps straight to that flow id, with no Set of its own.
 */
export class FlowRegistry {
  private readonly byFlow = new Map<string, FlowRecord>();
  private readonly byAor = new Map<string, string | Set<string>>();
  private sweepTimer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onRemoved: (binding: FlowBinding) => void = () => undefined,
    /** Told every bind (a REGISTER's, new or refreshed): pushes waiting for the flow go on. */
    private readonly onBound: (binding: FlowBinding) => void = () => undefined,
  ) {}

  /** Binds (or refreshes) a flow; a flow carries one device, so an older binding is replaced. */
  bind(binding: FlowBinding): void {
    this.unbind(binding.flowId);
    const flowId = detachedString(binding.flowId);
    const aor = this.sharedAor(binding.aor);
    const contact = detachedString(binding.contact);
    const instanceId = binding.deviceId === binding.contact ? undefined : detachedString(binding.deviceId);
    this.byFlow.set(flowId, new FlowRecord(aor, contact, instanceId, binding.expiresAt));
    const flows = this.byAor.get(aor);
    if (flows === undefined) this.byAor.set(aor, flowId);
    else if (typeof flows === 'string') this.byAor.set(aor, new Set([flows, flowId]));
    else flows.add(flowId);
    this.onBound(binding);
  }

  /** The live binding of a flow; a lapsed one is purged on the way. */
  lookup(flowId: string): FlowBinding | undefined {
    const record = this.byFlow.get(flowId);
    if (record === undefined) return undefined;
    if (record.expiresAt <= this.clock.now()) {
      this.remove(flowId, record);
      return undefined;
    }
    return bindingOf(flowId, record);
  }

  /** Live bindings of an AOR on this edge. */
  bindingsOf(aor: string): FlowBinding[] {
    const flows = this.byAor.get(aor);
    const flowIds = flows === undefined ? [] : typeof flows === 'string' ? [flows] : [...flows];
    return flowIds.map((flowId) => this.lookup(flowId)).filter((b): b is FlowBinding => b !== undefined);
  }

  /** Removes the flow's binding (unregister, or its connection closed); returns it if there was one. */
  unbind(flowId: string): FlowBinding | undefined {
    const record = this.byFlow.get(flowId);
    return record === undefined ? undefined : this.remove(flowId, record);
  }

  /** Removes every binding whose expiry has passed; returns how many. */
  purgeExpired(): number {
    const now = this.clock.now();
    const lapsed = [...this.byFlow].filter(([, record]) => record.expiresAt <= now);
    for (const [flowId, record] of lapsed) this.remove(flowId, record);
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

  /** Bound AORs (the keys of the AOR index). */
  get aorCount(): number {
    return this.byAor.size;
  }

  /** The AOR string the AOR's other flows already hold, so several devices share one copy. */
  private sharedAor(aor: string): string {
    const flows = this.byAor.get(aor);
    const anyFlow = flows === undefined ? undefined : typeof flows === 'string' ? flows : first(flows);
    const known = anyFlow === undefined ? undefined : this.byFlow.get(anyFlow)?.aor;
    return known ?? detachedString(aor);
  }

  private remove(flowId: string, record: FlowRecord): FlowBinding {
    this.byFlow.delete(flowId);
    const flows = this.byAor.get(record.aor);
    if (flows === flowId) this.byAor.delete(record.aor);
    else if (typeof flows === 'object') {
      flows.delete(flowId);
      const remaining = first(flows);
      // Back to the single-flow form once one device is left.
      if (flows.size === 1 && remaining !== undefined) this.byAor.set(record.aor, remaining);
    }
    const binding = bindingOf(flowId, record);
    this.onRemoved(binding);
    return binding;
  }
}

function bindingOf(flowId: string, record: FlowRecord): FlowBinding {
  return {
    flowId,
    aor: record.aor,
    deviceId: record.instanceId ?? record.contact,
    contact: record.contact,
    expiresAt: record.expiresAt,
  };
}

function first(flowIds: ReadonlySet<string>): string | undefined {
  return flowIds.values().next().value;
}
