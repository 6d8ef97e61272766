import type { EventBus } from '#herald/bus';
import {
  deviceRegisteredV1,
  edgeOutboundRecord,
  type RegisterDecidedV1,
  registerDecidedV1,
  type RegisterRequestedV1,
} from '#herald/contracts';
import { canonicalAor, type IdempotencyStore, type Transaction, type UnitOfWork } from '../shared';
import type { Account } from './account';
import { AuthError } from './auth-error';
import {
  type CommandOutputs,
  runOnceThenPublish,
  type SerializedRecord,
  serializeRecord,
} from './once-then-publish';
import type { AccountRepository, DigestFunctions, Registration, RegistrationRepository } from './ports';
import { removalEvents } from './registration-events';

/** Idempotency records of REGISTERs, apart from client command ids (which any string may collide with). */
export const REGISTER_IDEMPOTENCY_SERVICE = 'auth.register';

export interface RegistrarDependencies {
  unitOfWork: UnitOfWork;
  idempotency: IdempotencyStore;
  bus: EventBus;
  accounts: AccountRepository;
  registrations: RegistrationRepository;
  digest: DigestFunctions;
  /** Longest binding granted, in seconds; longer requests are clamped (RFC 3261 §10.3 step 7). */
  maxExpiresSeconds: number;
  /** Told of each REGISTER skipped because its edge had stopped waiting (log and count it). */
  lateRegisters: LateRegisterObserver;
  now?: () => Date;
}

export interface LateRegisterObserver {
  /** `request` was neither applied nor answered: its `deadline` passed `lateByMs` before auth got to it. */
  skipped(request: RegisterRequestedV1, lateByMs: number): void;
}

/**
 * Thrown inside the REGISTER's transaction so the claim rolls back with it: the request is
 * skipped, not recorded as decided.
 */
class RegisterPastDeadline extends Error {
  constructor(readonly lateByMs: number) {
    super(`REGISTER past its deadline by ${lateByMs} ms`);
    this.name = 'RegisterPastDeadline';
  }
}

type Decision = Omit<RegisterDecidedV1, 'v' | 'type' | 'at' | 'txKey' | 'aor'>;

/**
 * Verifies REGISTERs forwarded by the edge (which already checked the nonce, 423 and From/To)
 * and applies the binding rules of RFC 3261 §10.3 in one transaction per request.
 */
export class Registrar {
  private readonly deps: RegistrarDependencies;
  private readonly now: () => Date;

  constructor(dependencies: RegistrarDependencies) {
    this.deps = dependencies;
    this.now = dependencies.now ?? (() => new Date());
  }

  /**
   * Decides one REGISTER: replies `register.decided` to its edge, publishes the binding events.
   * One not decided before its `deadline` is skipped: the edge has answered 503 and the client
   * retries, so applying it would change bindings behind a failure. A redelivery of one already
   * decided still re-sends its outputs (they may not have been published).
   */
  async register(request: RegisterRequestedV1): Promise<void> {
    const aor = canonicalAor(request.aor);
    try {
      await runOnceThenPublish(this.deps, {
        key: { service: REGISTER_IDEMPOTENCY_SERVICE, aor, commandId: `${request.edgeId} ${request.txKey}` },
        effect: async (tx) => {
          const at = this.now();
          const lateByMs = request.deadline === undefined ? -1 : at.getTime() - Date.parse(request.deadline);
          if (lateByMs >= 0) throw new RegisterPastDeadline(lateByMs);
          const { reply: decision, events } = await this.decide(tx, request, aor, at);
          const reply = registerDecidedV1.build({ ...decision, txKey: request.txKey, aor: request.aor }, at);
          return { reply, events };
        },
        parseReply: parseDecision,
        deliver: (reply, _duplicate, events) =>
          this.deps.bus.publish([edgeOutboundRecord(request.edgeId, reply), ...events]),
      });
    } catch (error) {
      if (!(error instanceof RegisterPastDeadline)) throw error;
      this.deps.lateRegisters.skipped(request, error.lateByMs);
    }
  }

  private async decide(
    tx: Transaction,
    request: RegisterRequestedV1,
    aor: string,
    at: Date,
  ): Promise<CommandOutputs<Decision>> {
    // The row lock serializes concurrent REGISTERs of one AOR.
    const account = await this.deps.accounts.findByUsername(tx, request.digest.username, { lock: true });
    if (account === undefined || !this.credentialsValid(account, request)) {
      return rejected(401, 'Unauthorized');
    }
    if (account.aor !== aor) {
      return rejected(403, 'Forbidden (credentials of another user)');
    }
    if (account.disabled) {
      return rejected(403, 'Forbidden (account disabled)');
    }
    const bindings = await this.deps.registrations.listByAor(tx, aor);
    const expired = bindings.filter((binding) => binding.expiresAt <= at);
    const live = new Map(
      bindings.filter((binding) => binding.expiresAt > at).map((binding) => [binding.deviceId, binding]),
    );
    const requested = request.star
      ? [...live.keys()].map((deviceId) => ({ deviceId, uri: '', expires: 0 }))
      : request.contacts.map((contact) => ({
          deviceId: contact.instanceId ?? contact.uri,
          uri: contact.uri,
          expires: Math.min(contact.expires, this.deps.maxExpiresSeconds),
        }));
    // RFC 3261 §10.3 step 6: a request of the same Call-ID must carry a higher CSeq.
    const outOfOrder = requested.some(({ deviceId }) => {
      const existing = live.get(deviceId);
      return existing !== undefined && existing.callId === request.callId && request.cseq <= existing.cseq;
    });
    if (outOfOrder) {
      return rejected(500, 'Server Internal Error (out-of-order CSeq)');
    }
    const events: SerializedRecord[] = [];
    const { registrations } = this.deps;
    if (expired.length > 0) {
      const removed = await registrations.remove(
        tx,
        aor,
        expired.map((binding) => binding.deviceId),
      );
      events.push(...removalEvents(removed, 'expired', at));
    }
    const removedIds = requested
      .filter((c) => c.expires === 0 && live.has(c.deviceId))
      .map((c) => c.deviceId);
    if (removedIds.length > 0) {
      events.push(...removalEvents(await registrations.remove(tx, aor, removedIds), 'unregister', at));
      removedIds.forEach((deviceId) => live.delete(deviceId));
    }
    for (const contact of requested.filter((c) => c.expires > 0)) {
      const binding: Registration = {
        aor,
        deviceId: contact.deviceId,
        contact: contact.uri,
        edgeId: request.edgeId,
        flowId: request.flowId,
        transport: request.transport,
        source: request.source,
        callId: request.callId,
        cseq: request.cseq,
        expiresAt: new Date(at.getTime() + contact.expires * 1000),
      };
      await registrations.save(tx, binding);
      events.push(registeredEvent(binding, !live.has(contact.deviceId), at));
      live.set(contact.deviceId, binding);
    }
    const contacts = [...live.values()].map((binding) => ({
      uri: binding.contact,
      expires: Math.ceil((binding.expiresAt.getTime() - at.getTime()) / 1000),
    }));
    return { reply: { status: 200, contacts }, events };
  }

  private credentialsValid(account: Account, request: RegisterRequestedV1): boolean {
    const { digest } = request;
    return (
      digest.realm === account.realm &&
      this.deps.digest.verifyResponse({
        ha1: account.ha1[digest.algorithm],
        algorithm: digest.algorithm,
        method: request.method,
        uri: digest.uri,
        nonce: digest.nonce,
        nc: digest.nc,
        cnonce: digest.cnonce,
        qop: digest.qop,
        response: digest.response,
      })
    );
  }
}

function rejected(status: 401 | 403 | 500, reason: string): CommandOutputs<Decision> {
  return { reply: { status, reason, contacts: [] }, events: [] };
}

function registeredEvent(binding: Registration, created: boolean, at: Date): SerializedRecord {
  const event = deviceRegisteredV1.build(
    {
      aor: binding.aor,
      deviceId: binding.deviceId,
      contact: binding.contact,
      edgeId: binding.edgeId,
      flowId: binding.flowId,
      transport: binding.transport,
      expiresAt: binding.expiresAt.toISOString(),
      created,
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
