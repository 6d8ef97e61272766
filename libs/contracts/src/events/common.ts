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
export const TransportSchema = z.enum(['udp', 'tcp', 'tls', 'ws', 'wss']);
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
