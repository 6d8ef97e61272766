import {
  ENVELOPE_CONTENT_TYPE,
  edgeOutboundRecord,
  type ImPush,
  type Origin,
  PLAIN_TEXT_CONTENT_TYPE,
  type PushBody,
  type ResultPush,
  pushRequestedV1,
  serializePush,
} from '#herald/contracts';
import { hash, randomUUID } from 'node:crypto';
import type { EventPublisher, PublishedRecord } from '../shared';
import type { Device, DeviceDirectory } from './device-directory';

/** Who receives a push. */
export type PushTarget =
  /** One device (e.g. the result of a command goes to the device that sent it). */
  | { kind: 'device'; aor: string; deviceId: string }
  /** Every logged-in device of one user. */
  | { kind: 'aor'; aor: string }
  /** Every logged-in device of many users (presence fan-out), resolved in one lookup. */
  | { kind: 'aors'; aors: readonly string[] };

/** A text/plain MESSAGE for plain SIP devices (protocol.md §7): `From` is the sender's AOR. */
export interface PlainTextAlternative {
  text: string;
  fromUri: string;
}

export interface PushRequest {
  origin: Origin;
  target: PushTarget;
  push: PushBody;
  /**
   * When set, plain SIP devices among the targets get this text/plain MESSAGE instead of the
   * envelope; without it they are skipped (they speak no JSON).
   */
  plainText?: PlainTextAlternative;
  /**
   * The push id for each target device, when it must be the same every time this request reaches
   * that device (an IM delivery: an edge answers a push id its device already answered from
   * memory instead of sending it again; a command's result); by default each push gets a new id
   * (newPushId).
   */
  pushIdFor?: (device: Device) => string;
  /**
   * Set when the origin acts on this push's sip.push-outcome (an IM delivery: delivered or stored).
   * Without it the edge is asked for no outcome (`outcomeWanted: false`): a result, status or
   * presence push is not sent again, so its outcome would be published only to be dropped.
   */
  outcomeWanted?: true;
}

/** Starts the pushId of every command result. */
export const RESULT_PUSH_ID_PREFIX = 'result-';

/**
 * The push id of the result of command `commandId` (unique per sender AOR, protocol.md §3) to
 * `device`: the same every time, so the one result of a command that was processed again
 * (re-sent by its client, or redelivered after a crash) and pushed again carries the same id.
 * The edge then answers it from its answered-push memory, and a client de-duplicating by push id
 * sees one result.
 */
export function resultPushId(device: Pick<Device, 'aor' | 'deviceId'>, commandId: string): string {
  const digest = hash('sha256', JSON.stringify([device.aor, device.deviceId, commandId]), 'base64url');
  return RESULT_PUSH_ID_PREFIX + digest;
}

/** The result of a command, to the device that sent it. */
export function resultRequest(
  origin: Origin,
  sender: { aor: string; deviceId: string },
  result: ResultPush,
): PushRequest {
  return {
    origin,
    target: { kind: 'device', aor: sender.aor, deviceId: sender.deviceId },
    push: result,
    pushIdFor: (device) => resultPushId(device, result.re),
  };
}

/** One push handed to an edge: record `pushId` to match its sip.push-outcome. */
export interface SentPush {
  pushId: string;
  aor: string;
  deviceId: string;
  edgeId: string;
  carrier: Device['carrier'];
  /** Index of the request in the `send` call this push came from. */
  requestIndex: number;
}

export interface SendOptions {
  /** Other records to publish in the same publish, after the pushes (one broker round trip). */
  alsoPublish?: ReadonlyArray<PublishedRecord>;
}

export interface PushGatewayDependencies {
  directory: DeviceDirectory;
  /** Only publishes: a unit of work may hand in a publisher that collects for one later publish. */
  bus: EventPublisher;
  /** Unique push ids (also the `id` of the pushed envelope); default random UUIDs. */
  newPushId?: () => string;
  now?: () => Date;
  /**
   * How long a new binding without a session is not yet a plain SIP device for pushes to a user
   * (DeviceLookupOptions.plainSipLoginGraceMs); default 0.
   */
  plainSipLoginGraceMs?: number;
}

/**
 * Turns pushes for users into one `push.requested` per device on the owning edge's outbound
 * topic. All requests of one `send` call go out in ONE publish, in order, so a login's result,
 * roster and presence pushes reach the device in the order given.
 */
export class PushGateway {
  private readonly directory: DeviceDirectory;
  private readonly bus: EventPublisher;
  private readonly newPushId: () => string;
  private readonly now: () => Date;
  private readonly plainSipLoginGraceMs: number;

  constructor(dependencies: PushGatewayDependencies) {
    this.directory = dependencies.directory;
    this.bus = dependencies.bus;
    this.newPushId = dependencies.newPushId ?? randomUUID;
    this.now = dependencies.now ?? (() => new Date());
    this.plainSipLoginGraceMs = dependencies.plainSipLoginGraceMs ?? 0;
  }

  /** Publishes the pushes; resolves once the bus acknowledged them all. Returns what was sent. */
  async send(requests: readonly PushRequest[], options: SendOptions = {}): Promise<SentPush[]> {
    const devicesByRequest = await this.resolveTargets(requests);
    const at = this.now();
    const sent: SentPush[] = [];
    const records = requests.flatMap((request, requestIndex) =>
      devicesByRequest[requestIndex].flatMap((device) => {
        const pushId = request.pushIdFor?.(device) ?? this.newPushId();
        const content = contentFor(request, device, pushId);
        if (content === undefined) {
          return [];
        }
        sent.push({
          pushId,
          aor: device.aor,
          deviceId: device.deviceId,
          edgeId: device.edgeId,
          carrier: device.carrier,
          requestIndex,
        });
        // Trusted: device rows were stored from validated events, the body was serialized from a typed push.
        const event = pushRequestedV1.buildTrusted(
          {
            pushId,
            origin: request.origin,
            aor: device.aor,
            deviceId: device.deviceId,
            flowId: device.flowId,
            contact: device.contact,
            ...content,
            ...(request.outcomeWanted ? {} : { outcomeWanted: false }),
          },
          at,
        );
        return [edgeOutboundRecord(device.edgeId, event)];
      }),
    );
    const all = [...records, ...(options.alsoPublish ?? [])];
    if (all.length > 0) {
      await this.bus.publish(all);
    }
    return sent;
  }

  /**
   * Looks up now the targets of requests to be sent later: over a directory that caches (one unit
   * of work's), one lookup for the AORs of all of them instead of one per later send. Returns each
   * request's devices.
   */
  lookUpAhead(requests: readonly PushRequest[]): Promise<(readonly Device[])[]> {
    return this.resolveTargets(requests);
  }

  /** Resolves every request's devices with one batched lookup for all AOR targets. */
  private async resolveTargets(requests: readonly PushRequest[]): Promise<(readonly Device[])[]> {
    const aors = new Set<string>();
    let includePlainSip = false;
    for (const request of requests) {
      const target = request.target;
      if (target.kind === 'device') continue;
      for (const aor of target.kind === 'aor' ? [target.aor] : target.aors) aors.add(aor);
      includePlainSip ||= request.plainText !== undefined;
    }
    const byAor =
      aors.size > 0
        ? await this.directory.loggedInDevices([...aors], {
            includePlainSip,
            plainSipLoginGraceMs: this.plainSipLoginGraceMs,
          })
        : new Map<string, readonly Device[]>();
    // A login sends several pushes to the same device: look each device up once per call.
    const deviceLookups = new Map<string, Promise<Device | undefined>>();
    const lookUpDevice = (aor: string, deviceId: string) => {
      const lookupKey = JSON.stringify([aor, deviceId]);
      let lookup = deviceLookups.get(lookupKey);
      if (lookup === undefined) {
        lookup = this.directory.device(aor, deviceId);
        deviceLookups.set(lookupKey, lookup);
      }
      return lookup;
    };
    return Promise.all(
      requests.map(async ({ target }): Promise<readonly Device[]> => {
        switch (target.kind) {
          case 'device': {
            const device = await lookUpDevice(target.aor, target.deviceId);
            return device === undefined ? [] : [device];
          }
          case 'aor':
            return byAor.get(target.aor) ?? [];
          case 'aors':
            return [...new Set(target.aors)].flatMap((aor) => byAor.get(aor) ?? []);
        }
      }),
    );
  }
}

type PushContent = Pick<
  ReturnType<typeof pushRequestedV1.build>,
  'method' | 'contentType' | 'body' | 'fromUri' | 'liveImSentAt'
>;

/** Result pushes are typed loosely (`type: string`), but their type always ends in `.result`. */
function isImPush(push: PushBody): push is ImPush {
  return push.type === 'im';
}

/** The SIP request content for one device, or undefined when the device cannot take this push. */
function contentFor(request: PushRequest, device: Device, pushId: string): PushContent | undefined {
  if (device.carrier !== 'PLAIN') {
    const { push } = request;
    return {
      method: device.carrier,
      contentType: ENVELOPE_CONTENT_TYPE,
      body: serializePush(push, pushId),
      // The edge times live deliveries from this instead of parsing the body it sends.
      ...(isImPush(push) && !push.offline ? { liveImSentAt: push.sentAt } : {}),
    };
  }
  if (request.plainText === undefined) {
    return undefined;
  }
  return {
    method: 'MESSAGE',
    contentType: PLAIN_TEXT_CONTENT_TYPE,
    body: request.plainText.text,
    fromUri: request.plainText.fromUri,
  };
}
