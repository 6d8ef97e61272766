import {
  canonicalAor,
  edgeOutboundRecord,
  type PublishDecidedV1,
  publishDecidedV1,
  PublishDecidedV1Schema,
  type PublishRequestedV1,
} from '#herald/contracts';
import { createHash, randomBytes } from 'node:crypto';
import { type DeviceDirectory, PushGateway } from '../push';
import {
  type IdempotencyStore,
  processOnce,
  type Transaction,
  type UnitOfWork,
  type EventPublisher,
} from '../shared';
import type { PresenceRepository, RosterRepository } from './ports';
import type { DevicePresence, Publication } from './presence-model';
import { PresenceTracker } from './presence-tracker';
import type { SimpleSubscribers } from './subscriptions/subscription-model';

/** Idempotency records of PUBLISHes (keyed by edge and transaction, apart from client command ids). */
export const PUBLISH_IDEMPOTENCY_SERVICE = 'presence.publish';
/** Publications expired per sweep, each in its own transaction; the rest wait for the next sweep. */
export const PUBLICATION_EXPIRY_BATCH = 100;

/** A publication past its expiry, found by the sweep. */
export interface ExpiredPublication {
  aor: string;
  deviceId: string;
  etag: string;
}

/** Where publications are found by expiry (they live on the device rows of PresenceRepository). */
export interface PublicationRepository {
  /** Up to `limit` publications with `expiresAt <= now`, oldest first. */
  expired(tx: Transaction, now: Date, limit: number): Promise<ExpiredPublication[]>;
}

export interface PresencePublicationsDependencies {
  unitOfWork: UnitOfWork;
  idempotency: IdempotencyStore;
  presence: PresenceRepository;
  publications: PublicationRepository;
  rosters: RosterRepository;
  directory: DeviceDirectory;
  bus: EventPublisher;
  /** SIMPLE subscribers: changes are NOTIFYed to them too (protocol.md §7). */
  simple?: SimpleSubscribers;
  now?: () => Date;
  /** Entity-tags (default 16 random bytes, base64url). */
  newEtag?: () => string;
}

type Decision = Omit<PublishDecidedV1, 'v' | 'type' | 'at' | 'txKey' | 'aor'>;

/** Thrown inside the PUBLISH's transaction so its claim rolls back: the request is skipped, not decided. */
class PublishPastDeadline extends Error {
  readonly code = 'PRESENCE_PUBLISH_PAST_DEADLINE';
}

export class StoredDecisionError extends Error {
  readonly code = 'PRESENCE_STORED_DECISION_INVALID';
}

function conditionFailed(): Decision {
  return { status: 412, reason: 'Conditional Request Failed (no such entity-tag)' };
}

/**
 * Presence PUBLISH (RFC 3903, protocol.md §7): each device's publication (entity-tag, basic,
 * note, expiry) is kept on its presence row and shown instead of its mode while in force. The
 * edge checked Event, body, PIDF and Expires; this decides on the entity-tag and answers the
 * edge with publish.decided.
 */
export class PresencePublications {
  private readonly tracker: PresenceTracker;
  private readonly now: () => Date;
  private readonly newEtag: () => string;

  constructor(private readonly deps: PresencePublicationsDependencies) {
    this.tracker = new PresenceTracker({ ...deps, pushes: new PushGateway(deps) });
    this.now = deps.now ?? (() => new Date());
    this.newEtag = deps.newEtag ?? (() => randomBytes(16).toString('base64url'));
  }

  /**
   * Decides one PUBLISH once (a redelivery re-sends the stored decision) and replies to its edge.
   * One read after its `deadline` is skipped: the edge answered 503 and the client retries.
   */
  async publish(request: PublishRequestedV1): Promise<void> {
    const aor = canonicalAor(request.aor);
    // A txKey is as long as the client's branch makes it: hashed to a fixed-size command id.
    const commandId = createHash('sha256').update(`${request.edgeId}\n${request.txKey}`).digest('hex');
    let decision: Decision;
    try {
      const outcome = await processOnce(
        this.deps.unitOfWork,
        this.deps.idempotency,
        { service: PUBLISH_IDEMPOTENCY_SERVICE, aor, commandId },
        (tx) => this.decide(tx, aor, request),
      );
      decision = outcome.duplicate ? storedDecisionOf(outcome.storedResult) : outcome.result;
    } catch (error) {
      if (error instanceof PublishPastDeadline) return;
      throw error;
    }
    const reply = publishDecidedV1.build({ ...decision, txKey: request.txKey, aor: request.aor });
    await this.deps.bus.publish([edgeOutboundRecord(request.edgeId, reply)]);
  }

  /** Removes the publications past their expiry (RFC 3903 §6: the device shows its own state again). */
  async expire(): Promise<number> {
    const now = this.now();
    const expired = await this.deps.unitOfWork.run((tx) =>
      this.deps.publications.expired(tx, now, PUBLICATION_EXPIRY_BATCH),
    );
    for (const { aor, deviceId, etag } of expired) {
      // One transaction each: a refresh that raced the sweep changed the entity-tag, so nothing happens.
      await this.deps.unitOfWork.run((tx) =>
        this.tracker.changeDevice(tx, aor, { kind: 'unpublished', deviceId, etag, at: now }),
      );
    }
    return expired.length;
  }

  private async decide(tx: Transaction, aor: string, request: PublishRequestedV1): Promise<Decision> {
    const at = this.now();
    if (at.getTime() > Date.parse(request.deadline))
      throw new PublishPastDeadline('PUBLISH past its deadline');
    // Lock first: every change of this user's devices is serialized on the aggregate row.
    await this.deps.presence.lockAggregate(tx, aor);
    const devices = await this.deps.presence.devicesOf(tx, aor);
    const { ifMatch, state, expires } = request;
    let current: { device: DevicePresence; publication: Publication } | undefined;
    if (ifMatch !== undefined) {
      current = publicationTagged(devices, ifMatch, at);
      // RFC 3903 §6 step 3: an entity-tag that names no publication in force gets 412.
      if (current === undefined) return conditionFailed();
    }
    const deviceId = current?.device.deviceId ?? request.deviceId;
    if (expires === 0 && current !== undefined) {
      await this.tracker.changeDevice(tx, aor, {
        kind: 'unpublished',
        deviceId,
        etag: current.publication.etag,
        at,
      });
      return { status: 200, expires: 0 };
    }
    // Initial and modify carry the state; a refresh keeps what is published (§6 step 6).
    const published = state ?? current?.publication;
    if (published === undefined) return conditionFailed();
    if (!devices.some((d) => d.deviceId === deviceId) && !(await this.registered(aor, deviceId))) {
      // Its registration ended while the PUBLISH travelled: no device to show anything for.
      return { status: 403, reason: 'Forbidden (device not registered)' };
    }
    const publication: Publication = {
      etag: this.newEtag(),
      basic: published.basic,
      ...(published.note === undefined ? {} : { note: published.note }),
      expiresAt: new Date(at.getTime() + expires * 1000),
    };
    await this.tracker.changeDevice(tx, aor, { kind: 'published', deviceId, publication, at });
    return { status: 200, etag: publication.etag, expires };
  }

  /** Auth's registrations: committed before the edge bound the flow, so before any PUBLISH on it. */
  private async registered(aor: string, deviceId: string): Promise<boolean> {
    return (await this.deps.directory.device(aor, deviceId)) !== undefined;
  }
}

function publicationTagged(
  devices: readonly DevicePresence[],
  etag: string,
  at: Date,
): { device: DevicePresence; publication: Publication } | undefined {
  for (const device of devices) {
    const { publication } = device;
    if (publication?.etag === etag && publication.expiresAt > at) return { device, publication };
  }
  return undefined;
}

const StoredDecisionSchema = PublishDecidedV1Schema.pick({
  status: true,
  reason: true,
  etag: true,
  expires: true,
});

function storedDecisionOf(stored: unknown): Decision {
  const parsed = StoredDecisionSchema.safeParse(stored);
  if (!parsed.success)
    throw new StoredDecisionError('stored PUBLISH decision is malformed', { cause: parsed.error });
  return parsed.data;
}
