import {
  canonicalAor,
  deviceRegisteredV1,
  edgeOutboundRecord,
  type RegisterDecidedV1,
  registerDecidedV1,
  type RegisterRequestedV1,
} from '#herald/contracts';
import {
  type BatchIdempotencyStore,
  type BulkResultStore,
  type CommandKey,
  type FlushedGroup,
  GroupCommit,
  type GroupObserver,
  type IdempotencyClaim,
  type Transaction,
  type UnitOfWork,
  type EventPublisher,
} from '../shared';
import type { AccountCredentials } from './account';
import { AuthError } from './auth-error';
import {
  type CommandOutputs,
  deserializeRecord,
  parseOutputs,
  type SerializedRecord,
  serializeRecord,
} from './command-outputs';
import type {
  AccountRepository,
  BindingKey,
  ClaimingRegistrations,
  DigestFunctions,
  Registration,
  RegistrationRepository,
  RemovedRegistration,
  SourceAddress,
} from './ports';
import { type RemovalReason, removalEvents } from './registration-events';

/** Idempotency records of REGISTERs, apart from client command ids (which any string may collide with). */
export const REGISTER_IDEMPOTENCY_SERVICE = 'auth.register';

/**
 * How long a REGISTER's claim is kept. It serves a redelivery of the REGISTER: one past its
 * deadline (the edge's wait, seconds) is re-sent only when its claim still holds events it never
 * published, and such claims are never pruned (ClaimRetentionStore); an hour is far beyond it.
 */
export const REGISTER_CLAIM_RETENTION_MS = 60 * 60 * 1000;

export interface RegistrarDependencies {
  unitOfWork: UnitOfWork;
  idempotency: BatchIdempotencyStore & BulkResultStore;
  bus: EventPublisher;
  accounts: AccountRepository;
  registrations: RegistrationRepository;
  /** Claims and saves of a group that removes no binding, in one statement. */
  claimingRegistrations: ClaimingRegistrations;
  digest: DigestFunctions;
  /** Longest binding granted, in seconds; longer requests are clamped (RFC 3261 §10.3 step 7). */
  maxExpiresSeconds: number;
  /** Told of each REGISTER skipped because its edge had stopped waiting (log and count it). */
  lateRegisters: LateRegisterObserver;
  /**
   * The reason a superseded binding's removal is announced with: `superseded`, or `expired` while
   * consumers of a release that refuses reasons it does not know still run (HERALD_AUTH_ANNOUNCE_SUPERSEDED).
   */
  supersededReason?: 'superseded' | 'expired';
  now?: () => Date;
  /** Told of each group of REGISTERs (its size, its transaction's and its publish's time). */
  groups?: GroupObserver;
}

export interface LateRegisterObserver {
  /** `request` was neither applied nor answered: its `deadline` passed `lateByMs` before auth got to it. */
  skipped(request: RegisterRequestedV1, lateByMs: number): void;
}

type Decision = Omit<RegisterDecidedV1, 'v' | 'type' | 'at' | 'txKey' | 'aor'>;

/** What the registrar holds for one REGISTER while its group is decided. */
interface Pending {
  request: RegisterRequestedV1;
  aor: string;
  key: CommandKey;
}

/** A REGISTER decided in this group: its outputs, and the binding changes to apply. */
interface Planned {
  outputs: CommandOutputs<RegisterDecidedV1>;
  saves: Registration[];
  /** Bindings to remove, with why (events are built from what the removal actually removed). */
  removals: Array<BindingKey & { reason: 'expired' | 'unregister' | 'superseded' }>;
}

/**
 * Verifies REGISTERs forwarded by the edge (which already checked the nonce, 423 and From/To)
 * and applies the binding rules of RFC 3261 §10.3. REGISTERs handled concurrently are decided in
 * groups (GroupCommit): one transaction with set-based statements for the whole group (claims,
 * account locks, bindings read, removed and saved), one publish of every decision and event.
 */
export class Registrar {
  private readonly deps: RegistrarDependencies;
  private readonly now: () => Date;
  private readonly groups: GroupCommit<RegisterRequestedV1, void>;

  constructor(dependencies: RegistrarDependencies) {
    this.deps = dependencies;
    this.now = dependencies.now ?? (() => new Date());
    this.groups = new GroupCommit((requests) => this.decideGroup(requests), {
      observe: dependencies.groups,
    });
  }

  /**
   * Decides one REGISTER: replies `register.decided` to its edge, publishes the binding events.
   * One not decided before its `deadline` is skipped: the edge has answered 503 and the client
   * retries, so applying it would change bindings behind a failure. A redelivery of one already
   * decided still re-sends its outputs (they may not have been published).
   */
  register(request: RegisterRequestedV1): Promise<void> {
    return this.groups.submit(request);
  }

  private async decideGroup(requests: ReadonlyArray<RegisterRequestedV1>): Promise<FlushedGroup<void>> {
    // One AOR's REGISTERs arrive one at a time from the bus; should a group still hold two, each
    // wave takes one of them, in order, so the second sees the first's bindings. The last wave's
    // publish is the group's (GroupCommit); an earlier wave's goes out before the next wave.
    const waves = wavesOfDistinctAors(requests);
    let publish = await this.decideWave(waves[0]!);
    for (const wave of waves.slice(1)) {
      await publish();
      publish = await this.decideWave(wave);
    }
    return { results: requests.map(() => undefined), publish };
  }

  /** Decides a wave in one transaction; returns its publish (decisions, events, their mark). */
  private async decideWave(requests: ReadonlyArray<RegisterRequestedV1>): Promise<() => Promise<void>> {
    const pending = requests.map((request): Pending => {
      const aor = canonicalAor(request.aor);
      return {
        request,
        aor,
        key: { service: REGISTER_IDEMPOTENCY_SERVICE, aor, commandId: `${request.edgeId} ${request.txKey}` },
      };
    });
    const at = this.now();
    const late = pending.filter(({ request }) => lateByMs(request, at) >= 0);
    const inTime = pending.filter(({ request }) => lateByMs(request, at) < 0);
    const { idempotency } = this.deps;
    const delivered = await this.deps.unitOfWork.run(async (tx) => {
      const planned = await this.plan(tx, inTime, at);
      const { claims, removed } = await this.claimAndApply(tx, inTime, planned);
      const outputs = inTime.map((entry, index): Delivery => {
        const claim = claims[index]!;
        if (claim.kind === 'duplicate') {
          return {
            key: entry.key,
            edgeId: entry.request.edgeId,
            outputs: parseOutputs(claim.result, parseDecision),
          };
        }
        const plan = planned[index]!;
        const { reply, events } = plan.outputs;
        const removalEvents = removalEventsOf(plan, removed, at, this.deps.supersededReason ?? 'superseded');
        return {
          key: entry.key,
          edgeId: entry.request.edgeId,
          outputs: { reply, events: [...removalEvents, ...events] },
          storedIncomplete: removalEvents.length > 0,
        };
      });
      // The claims stored the decisions before the removals were known: store those that removed
      // bindings again with their removal events, so a redelivery re-announces them too.
      await idempotency.storeResults(
        tx,
        outputs
          .filter((delivery) => delivery.storedIncomplete === true)
          .map(({ key, outputs }) => ({ key, result: outputs })),
      );
      // A late REGISTER decided in time before (a redelivery) still re-sends its outputs.
      const stored = await idempotency.findResults(
        tx,
        late.map(({ key }) => key),
      );
      late.forEach(({ request }, index) => {
        if (!stored[index]!.found) this.deps.lateRegisters.skipped(request, lateByMs(request, at));
      });
      const lateDeliveries = late.flatMap((entry, index): Delivery[] => {
        const lookup = stored[index]!;
        return lookup.found
          ? [
              {
                key: entry.key,
                edgeId: entry.request.edgeId,
                outputs: parseOutputs(lookup.result, parseDecision),
              },
            ]
          : [];
      });
      return [...outputs, ...lateDeliveries];
    });
    return () => this.publishDecisions(delivered);
  }

  private async publishDecisions(delivered: readonly Delivery[]): Promise<void> {
    const { idempotency } = this.deps;
    await this.deps.bus.publish(
      delivered.flatMap(({ edgeId, outputs }) => [
        edgeOutboundRecord(edgeId, outputs.reply),
        ...outputs.events.map(deserializeRecord),
      ]),
    );
    const announced = delivered.filter(({ outputs }) => outputs.events.length > 0);
    if (announced.length > 0) {
      // Losing this write in a database crash only lets a redelivery publish the events again.
      await this.deps.unitOfWork.runSingleStatement((tx) =>
        idempotency.storeResults(
          tx,
          announced.map(({ key, outputs }) => ({ key, result: { reply: outputs.reply, events: [] } })),
          { unflushed: true },
        ),
      );
    }
  }

  /**
   * Claims the wave's REGISTERs, each storing its decision with its claim, and applies the binding
   * changes of those claimed first. A wave that removes no binding (refreshes, new bindings) does
   * both in one statement; otherwise one statement claims, one removes and one saves.
   */
  private async claimAndApply(
    tx: Transaction,
    pending: readonly Pending[],
    planned: readonly Planned[],
  ): Promise<{ claims: IdempotencyClaim[]; removed: RemovedRegistration[] }> {
    const { idempotency, registrations } = this.deps;
    const claims = pending.map(({ key }, index) => ({ key, expectedResult: planned[index]!.outputs }));
    if (planned.every((plan) => plan.removals.length === 0)) {
      const firsts = await this.deps.claimingRegistrations.claimAndSaveAll(
        tx,
        claims.map((claim, index) => ({ claim, saves: planned[index]!.saves })),
      );
      // A duplicate (a redelivery) re-sends the decision stored with its claim.
      const stored = await idempotency.findResults(
        tx,
        pending.filter((_, index) => !firsts[index]).map(({ key }) => key),
      );
      let duplicates = 0;
      const claimed = firsts.map((first): IdempotencyClaim => {
        if (first) return { kind: 'first' };
        const lookup = stored[duplicates++]!;
        return { kind: 'duplicate', result: lookup.found ? lookup.result : null };
      });
      return { claims: claimed, removed: [] };
    }
    const claimed = await idempotency.claimAll(tx, claims);
    const firsts = planned.filter((_, index) => claimed[index]!.kind === 'first');
    const removed = await registrations.removePairs(
      tx,
      firsts.flatMap((plan) => plan.removals),
    );
    await registrations.saveAll(
      tx,
      firsts.flatMap((plan) => plan.saves),
    );
    return { claims: claimed, removed };
  }

  /**
   * Reads what the group needs in two statements (three when a device binds a UDP address anew,
   * one when every REGISTER is refused its credentials) and decides each REGISTER in memory.
   */
  private async plan(tx: Transaction, pending: readonly Pending[], at: Date): Promise<Planned[]> {
    if (pending.length === 0) return [];
    // The row locks serialize REGISTERs of one AOR across replicas.
    const accounts = await this.deps.accounts.findCredentialsByUsername(
      tx,
      [...new Set(pending.map(({ request }) => request.digest.username))].sort(),
      { lock: true },
    );
    const byUsername = new Map(accounts.map((account) => [account.username, account]));
    // Authorization first: a REGISTER refused its credentials (a failed digest) reads no binding,
    // supersedes none and holds none back from the others of its group.
    const unauthorized = pending.map(({ request, aor }) =>
      authorizationRefusal(request, aor, byUsername.get(request.digest.username), this.deps.digest),
    );
    const bindingsByAor = await this.bindingsByAor(
      tx,
      pending.filter((_, index) => unauthorized[index] === undefined),
    );
    const refusals = pending.map(
      ({ request, aor }, index) =>
        unauthorized[index] ?? outOfOrderRefusal(request, bindingsByAor.get(aor) ?? [], at),
    );
    const superseded = await this.supersededBindings(
      tx,
      pending.filter((_, index) => refusals[index] === undefined),
      bindingsByAor,
      at,
    );
    return pending.map((entry, index) => {
      const { request, aor } = entry;
      const decision =
        refusals[index] ??
        this.apply(request, aor, bindingsByAor.get(aor) ?? [], superseded.get(entry) ?? [], at);
      // Trusted: every field comes from the validated request, bindings stored from validated
      // requests, or constants; the edge validates the record when it decodes it.
      const reply = registerDecidedV1.buildTrusted(
        { ...decision.reply, txKey: request.txKey, aor: request.aor },
        at,
      );
      return { ...decision, outputs: { reply, events: decision.events } };
    });
  }

  /** The bindings of the REGISTERs' AORs, by AOR, in one statement (none for no REGISTER). */
  private async bindingsByAor(
    tx: Transaction,
    authorized: readonly Pending[],
  ): Promise<Map<string, Registration[]>> {
    const bindingsByAor = new Map<string, Registration[]>();
    if (authorized.length === 0) return bindingsByAor;
    for (const binding of await this.deps.registrations.listByAors(tx, [
      ...new Set(authorized.map(({ aor }) => aor)),
    ])) {
      const ofAor = bindingsByAor.get(binding.aor);
      if (ofAor === undefined) bindingsByAor.set(binding.aor, [binding]);
      else ofAor.push(binding);
    }
    return bindingsByAor;
  }

  /**
   * Per accepted REGISTER (a refused one touches no binding), the live UDP bindings of other
   * devices from the address and port it binds anew: a UDP flow is its source address, and it
   * carries one device (protocol.md §1), so a device that binds it means the NAT gave it to this
   * device and the older one is gone without unregistering; pushing to it would reach this
   * device. A refresh from the address its device is already bound to reads nothing (the hot
   * path). Each binding is superseded by one REGISTER.
   */
  private async supersededBindings(
    tx: Transaction,
    accepted: readonly Pending[],
    bindingsByAor: ReadonlyMap<string, readonly Registration[]>,
    at: Date,
  ): Promise<Map<Pending, Registration[]>> {
    const bindsAnew = accepted.map(
      ({ request, aor }) =>
        request.transport === 'udp' &&
        boundDeviceIds(request).some(
          (deviceId) =>
            !(bindingsByAor.get(aor) ?? []).some(
              (binding) =>
                binding.deviceId === deviceId &&
                binding.expiresAt > at &&
                sameSource(binding.source, request.source),
            ),
        ),
    );
    const superseded = new Map<Pending, Registration[]>();
    if (!bindsAnew.includes(true)) return superseded;
    const fromSources = await this.deps.registrations.listUdpBySources(
      tx,
      accepted.filter((_, index) => bindsAnew[index]).map(({ request }) => request.source),
    );
    // Devices this group binds are never superseded by it (their own REGISTER decides them).
    const boundHere = new Set(
      accepted.flatMap(({ request, aor }) =>
        boundDeviceIds(request).map((deviceId) => bindingId({ aor, deviceId })),
      ),
    );
    const taken = new Set<string>();
    accepted.forEach((entry, index) => {
      if (!bindsAnew[index]) return;
      const found = fromSources.filter((binding) => {
        const id = bindingId(binding);
        if (binding.expiresAt <= at || boundHere.has(id) || taken.has(id)) return false;
        return sameSource(binding.source, entry.request.source);
      });
      for (const binding of found) taken.add(bindingId(binding));
      superseded.set(entry, found);
    });
    return superseded;
  }

  /**
   * The binding changes and 200 of a REGISTER that authorizationRefusal and outOfOrderRefusal let
   * through (RFC 3261 §10.3 steps 7-8).
   */
  private apply(
    request: RegisterRequestedV1,
    aor: string,
    bindings: readonly Registration[],
    superseded: readonly Registration[],
    at: Date,
  ): Omit<Planned, 'outputs'> & CommandOutputs<Decision> {
    const expired = bindings.filter((binding) => binding.expiresAt <= at);
    const live = liveBindings(bindings, at);
    const requested = request.star
      ? [...live.keys()].map((deviceId) => ({ deviceId, uri: '', params: undefined, expires: 0 }))
      : request.contacts.map((contact) => ({
          deviceId: deviceIdOf(contact),
          uri: contact.uri,
          params: contact.params,
          expires: Math.min(contact.expires, this.deps.maxExpiresSeconds),
        }));
    const removals: Planned['removals'] = expired.map(({ deviceId }) => ({
      aor,
      deviceId,
      reason: 'expired',
    }));
    for (const { deviceId, expires } of requested) {
      if (expires === 0 && live.delete(deviceId)) {
        removals.push({ aor, deviceId, reason: 'unregister' });
      }
    }
    for (const binding of superseded) {
      if (binding.aor === aor) live.delete(binding.deviceId);
      removals.push({ aor: binding.aor, deviceId: binding.deviceId, reason: 'superseded' });
    }
    const saves: Registration[] = [];
    const events: SerializedRecord[] = [];
    for (const contact of requested.filter((c) => c.expires > 0)) {
      const binding: Registration = {
        aor,
        deviceId: contact.deviceId,
        contact: contact.uri,
        ...(contact.params === undefined ? {} : { contactParams: contact.params }),
        edgeId: request.edgeId,
        flowId: request.flowId,
        transport: request.transport,
        source: request.source,
        callId: request.callId,
        cseq: request.cseq,
        expiresAt: new Date(at.getTime() + contact.expires * 1000),
      };
      // A contact listed twice is saved once, as its last listing says.
      const earlier = saves.findIndex((saved) => saved.deviceId === binding.deviceId);
      if (earlier >= 0) saves.splice(earlier, 1);
      saves.push(binding);
      // Only a new binding is announced: a refresh changes nothing that presence or im-router act on
      // (pushes read the binding's current flow from the registrations table).
      if (!live.has(contact.deviceId)) {
        events.push(registeredEvent(binding, at));
      }
      live.set(contact.deviceId, binding);
    }
    const contacts = [...live.values()].map((binding) => ({
      uri: binding.contact,
      expires: Math.ceil((binding.expiresAt.getTime() - at.getTime()) / 1000),
      ...(binding.contactParams === undefined ? {} : { params: binding.contactParams }),
    }));
    return { reply: { status: 200, contacts }, events, saves, removals };
  }
}

/** A decided REGISTER's outputs and the idempotency key they are stored under. */
interface Delivery {
  key: CommandKey;
  edgeId: string;
  outputs: CommandOutputs<RegisterDecidedV1>;
  /** The claim stored these outputs without some of their events. */
  storedIncomplete?: boolean;
}

/** A REGISTER's refusal: its reply, and no binding change. */
type Refusal = Omit<Planned, 'outputs'> & CommandOutputs<Decision>;

function rejected(status: 401 | 403 | 500, reason: string): Refusal {
  return { reply: { status, reason, contacts: [] }, events: [], saves: [], removals: [] };
}

/**
 * Why a REGISTER is refused before any binding is read (RFC 3261 §10.3 steps 4-5): bad
 * credentials, another user's or a disabled account; undefined when it is authorized.
 */
function authorizationRefusal(
  request: RegisterRequestedV1,
  aor: string,
  account: AccountCredentials | undefined,
  digest: DigestFunctions,
): Refusal | undefined {
  if (account === undefined || !credentialsValid(account, request, digest)) {
    return rejected(401, 'Unauthorized');
  }
  if (account.aor !== aor) {
    return rejected(403, 'Forbidden (credentials of another user)');
  }
  if (account.disabled) {
    return rejected(403, 'Forbidden (account disabled)');
  }
  return undefined;
}

/**
 * RFC 3261 §10.3 step 6: a request of the same Call-ID as a live binding of a device it names (all
 * of them for `*`) must carry a higher CSeq. Read straight off the AOR's bindings (one per device):
 * `apply` builds the live map it changes, this check needs none.
 */
function outOfOrderRefusal(
  request: RegisterRequestedV1,
  bindings: readonly Registration[],
  at: Date,
): Refusal | undefined {
  const named = request.star ? undefined : request.contacts.map(deviceIdOf);
  const outOfOrder = bindings.some(
    (binding) =>
      binding.expiresAt > at &&
      binding.callId === request.callId &&
      request.cseq <= binding.cseq &&
      (named === undefined || named.includes(binding.deviceId)),
  );
  return outOfOrder ? rejected(500, 'Server Internal Error (out-of-order CSeq)') : undefined;
}

function credentialsValid(
  account: AccountCredentials,
  request: RegisterRequestedV1,
  digest: DigestFunctions,
): boolean {
  const credentials = request.digest;
  return (
    credentials.realm === account.realm &&
    digest.verifyResponse({
      ha1: account.ha1[credentials.algorithm],
      algorithm: credentials.algorithm,
      method: request.method,
      uri: credentials.uri,
      nonce: credentials.nonce,
      nc: credentials.nc,
      cnonce: credentials.cnonce,
      qop: credentials.qop,
      response: credentials.response,
    })
  );
}

/** The bindings of one AOR not expired at `at`, by device. */
function liveBindings(bindings: readonly Registration[], at: Date): Map<string, Registration> {
  return new Map(
    bindings.filter((binding) => binding.expiresAt > at).map((binding) => [binding.deviceId, binding]),
  );
}

/** Milliseconds past the request's deadline at `at` (negative: still in time; no deadline: -1). */
function lateByMs(request: RegisterRequestedV1, at: Date): number {
  return request.deadline === undefined ? -1 : at.getTime() - Date.parse(request.deadline);
}

/** Splits requests into waves in which each AOR appears once, keeping each AOR's order. */
function wavesOfDistinctAors(requests: ReadonlyArray<RegisterRequestedV1>): RegisterRequestedV1[][] {
  const waves: RegisterRequestedV1[][] = [];
  const wavesOfAor = new Map<string, number>();
  for (const request of requests) {
    const aor = canonicalAor(request.aor);
    const wave = wavesOfAor.get(aor) ?? 0;
    wavesOfAor.set(aor, wave + 1);
    (waves[wave] ??= []).push(request);
  }
  return waves;
}

/** The events of the bindings `plan` removed, from what the removal statement returned. */
function removalEventsOf(
  plan: Planned,
  removed: readonly RemovedRegistration[],
  at: Date,
  supersededReason: 'superseded' | 'expired',
): SerializedRecord[] {
  const reasons = new Map(plan.removals.map((removal) => [bindingId(removal), removal.reason]));
  const byReason = (reason: RemovalReason) =>
    removed.filter((binding) => reasons.get(bindingId(binding)) === reason);
  return [
    ...removalEvents(byReason('expired'), 'expired', at),
    ...removalEvents(byReason('unregister'), 'unregister', at),
    ...removalEvents(byReason('superseded'), supersededReason, at),
  ];
}

/** The device a Contact binds: its +sip.instance, else its URI (RFC 5626 §4.1). */
function deviceIdOf(contact: RegisterRequestedV1['contacts'][number]): string {
  return contact.instanceId ?? contact.uri;
}

/** The devices a REGISTER binds (or refreshes). */
function boundDeviceIds(request: RegisterRequestedV1): string[] {
  return request.star ? [] : request.contacts.filter((c) => c.expires > 0).map(deviceIdOf);
}

function sameSource(a: SourceAddress, b: SourceAddress): boolean {
  return a.address === b.address && a.port === b.port;
}

function bindingId(binding: BindingKey): string {
  return JSON.stringify([binding.aor, binding.deviceId]);
}

function registeredEvent(binding: Registration, at: Date): SerializedRecord {
  const event = deviceRegisteredV1.build(
    {
      aor: binding.aor,
      deviceId: binding.deviceId,
      contact: binding.contact,
      edgeId: binding.edgeId,
      flowId: binding.flowId,
      transport: binding.transport,
      expiresAt: binding.expiresAt.toISOString(),
      created: true,
    },
    at,
  );
  return serializeRecord(deviceRegisteredV1.record(event));
}

function parseDecision(stored: unknown): RegisterDecidedV1 {
  const parsed = registerDecidedV1.schema.safeParse(stored);
  if (!parsed.success) {
    throw new AuthError('AUTH_STORED_RESULT_INVALID', 'stored register decision is malformed', {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
