import { z } from 'zod';
import { ContractError } from '../contract-error';
import { TimestampSchema } from '../client/fields';

/** Fields every event carries (architecture.md, Topics). */
export function eventBase<T extends string, V extends number>(type: T, version: V) {
  return z.object({ v: z.literal(version), type: z.literal(type), at: TimestampSchema });
}

type EventBaseFields = 'v' | 'type' | 'at';

/** A record ready for `EventBus.publish` (structurally the bus's record without headers). */
export interface EncodedRecord {
  topic: string;
  key: string;
  value: Buffer;
}

/**
 * One typed, versioned event contract: validation on both sides, so a producer cannot emit
 * what consumers would reject and a consumer never handles an unchecked payload.
 */
export interface EventContract<E extends { v: number; type: string; at: string }> {
  /** Name used in errors and docs: the topic, or the topic pattern for per-edge topics. */
  readonly name: string;
  readonly schema: z.ZodType<E>;
  /** The partition key of an event (the AOR it is about, unless the topic says otherwise). */
  key(event: E): string;
  /** Fills `v`, `type` and `at` (default now). */
  build(fields: DistributiveOmit<E, EventBaseFields>, at?: Date): E;
  /** Validates and serializes; throws ContractError(CONTRACT_INVALID_PAYLOAD). */
  encode(event: E): Buffer;
  /** Parses and validates; throws ContractError(CONTRACT_MALFORMED_JSON | CONTRACT_INVALID_PAYLOAD). */
  decode(value: Buffer | string): E;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export function defineEventContract<E extends { v: number; type: string; at: string }>(definition: {
  name: string;
  schema: z.ZodType<E>;
  version: E['v'];
  /** The event type to stamp in `build`; for union contracts the type comes from the fields. */
  type?: E['type'];
  key: (event: E) => string;
}): EventContract<E> {
  const { name, schema, key } = definition;
  const validate = (value: unknown): E => {
    const result = schema.safeParse(value);
    if (!result.success) {
      throw new ContractError('CONTRACT_INVALID_PAYLOAD', name, z.prettifyError(result.error), {
        cause: result.error,
      });
    }
    return result.data;
  };
  return {
    name,
    schema,
    key,
    build(fields, at = new Date()) {
      const stamped = { type: definition.type, ...fields, v: definition.version, at: at.toISOString() };
      return validate(stamped);
    },
    encode(event) {
      return Buffer.from(JSON.stringify(validate(event)), 'utf8');
    },
    decode(value) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
      } catch (error) {
        throw new ContractError('CONTRACT_MALFORMED_JSON', name, 'payload is not valid JSON', {
          cause: error,
        });
      }
      return validate(parsed);
    },
  };
}

/** Encodes an event into a bus record on `topic`, keyed by the contract. */
export function toRecord<E extends { v: number; type: string; at: string }>(
  contract: EventContract<E>,
  topic: string,
  event: E,
): EncodedRecord {
  return { topic, key: contract.key(event), value: contract.encode(event) };
}
