import { z } from 'zod';
import { AorUriSchema, LIMITS } from '../client/fields';
import { type EventContract, type EncodedRecord, defineEventContract } from './event-contract';

export const AorSchema = AorUriSchema;
export const EdgeIdSchema = z.string().min(1).max(LIMITS.uriLength);
/** Opaque flow name made by libs/sip; only the edge that made it can use it. */
export const FlowIdSchema = z.string().min(1).max(LIMITS.uriLength);
/** The longest device id, Contact URI and Contact parameters (characters); the edge answers a REGISTER over them 400. */
export const DEVICE_ID_MAX_LENGTH = 1024;
export const CONTACT_URI_MAX_LENGTH = 1024;
export const CONTACT_PARAMS_MAX_LENGTH = 1024;
/** `+sip.instance` of the Contact when present, otherwise the Contact URI. */
export const DeviceIdSchema = z.string().min(1).max(DEVICE_ID_MAX_LENGTH);
export const ContactUriSchema = z.string().min(1).max(CONTACT_URI_MAX_LENGTH);
/**
 * A Contact's header parameters other than `expires`, as sent (`;+sip.instance="<urn:…>";reg-id=1`,
 * RFC 5626 §4.2), kept with the binding and listed back in the 200 OK.
 */
export const ContactParamsSchema = z
  .string()
  .max(CONTACT_PARAMS_MAX_LENGTH)
  .regex(/^;[^\r\n]+$/, 'expected ;name[=value] parameters');
export const TRANSPORTS = ['udp', 'tcp', 'tls', 'ws', 'wss'] as const;
export const TransportSchema = z.enum(TRANSPORTS);
export type Transport = z.infer<typeof TransportSchema>;
/** How a logged-in device receives pushes. */
export const SessionCarrierSchema = z.enum(['INFO', 'MESSAGE']);
export type SessionCarrier = z.infer<typeof SessionCarrierSchema>;
/** How a command arrived: JSON over INFO or MESSAGE, or a text/plain MESSAGE from a plain SIP device. */
export const CommandCarrierSchema = z.enum(['INFO', 'MESSAGE', 'MESSAGE-PLAIN']);
export type CommandCarrier = z.infer<typeof CommandCarrierSchema>;
/** The service that asked for a push, so it can claim the outcome. */
export const OriginSchema = z.enum(['auth', 'presence', 'im-router']);
export type Origin = z.infer<typeof OriginSchema>;
export const SipStatusSchema = z.number().int().min(100).max(699);

/**
 * A value a later release may add to an open enum (openEnum): a lowercase token, kept as sent.
 * Branded, so that only a decoder makes one: a producer sends the values its contract lists.
 */
export const LaterEnumValueSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}$/, 'expected a lowercase token')
  .brand<'LaterEnumValue'>();
export type LaterEnumValue = z.infer<typeof LaterEnumValueSchema>;

/**
 * An enum field that may grow within its contract version (docs/adding-a-consumer.md, Enums that
 * grow): `values`, or any other token, which a decoder of an older release then accepts as is. Only
 * for a field every consumer can act on without knowing the value; `unknownMeans` says how a
 * consumer treats a value it does not know. Every other enum is closed: a new value of one is only
 * produced once every consumer decodes it.
 */
export function openEnum<const T extends readonly [string, ...string[]]>(values: T, unknownMeans: string) {
  return z.union([z.enum(values), LaterEnumValueSchema]).meta({
    description: `${values.join(', ')}, or a value a later release adds (a lowercase token): ${unknownMeans}`,
  });
}

/** An event contract bound to one fixed topic. */
export interface TopicContract<E extends { v: number; type: string; at: string }> extends EventContract<E> {
  readonly topic: string;
  /** Encodes (see EventContract.encode: not validated again) and keys an event: ready for `EventBus.publish`. */
  record(event: E): EncodedRecord;
}

export function defineTopicContract<E extends { v: number; type: string; at: string }>(definition: {
  topic: string;
  schema: z.ZodType<E>;
  version: E['v'];
  type: E['type'];
  key: (event: E) => string;
}): TopicContract<E> {
  const contract = defineEventContract({ ...definition, name: definition.topic });
  return {
    ...contract,
    topic: definition.topic,
    record: (event) => ({ topic: definition.topic, key: contract.key(event), value: contract.encode(event) }),
  };
}
