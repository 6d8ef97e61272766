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
 * One typed, versioned event contract: a producer's event is validated once, where its fields come
 * in (`build`), and consumers validate what they decode, so a producer cannot emit what consumers
 * would reject and a consumer never handles an unchecked payload. `encode` does not validate again
 * what `build`, `buildTrusted` or `decode` returned (zod on both build and encode of every event
 * was ~5 % of the edge CPU); anything else it is given, it validates.
 */
export interface EventContract<E extends { v: number; type: string; at: string }> {
  /** Name used in errors and docs: the topic, or the topic pattern for per-edge topics. */
  readonly name: string;
  readonly schema: z.ZodType<E>;
  /** The partition key of an event (the AOR it is about, unless the topic says otherwise). */
  key(event: E): string;
  /** Fills `v`, `type` and `at` (default now) and validates; throws ContractError(CONTRACT_INVALID_PAYLOAD). */
  build(fields: DistributiveOmit<E, EventBaseFields>, at?: Date): E;
  /**
   * `build` without validation, for fields that are already known to satisfy the schema: taken
   * from events this process decoded (validated), rows stored from such events, configuration and
   * typed constants. Never for input from a client or a SIP message: that goes through `build`.
   * The contract tests encode every event type this way and decode it through the validating path.
   */
  buildTrusted(fields: DistributiveOmit<E, EventBaseFields>, at?: Date): E;
  /**
   * Serializes; validates first (throwing ContractError(CONTRACT_INVALID_PAYLOAD)) unless the event
   * is one that `build`, `buildTrusted` or `decode` of this contract or of one of the members of its
   * union returned. Events are values: change one after building it and build it again.
   */
  encode(event: E): Buffer;
  /** Parses and validates; throws ContractError(CONTRACT_MALFORMED_JSON | CONTRACT_INVALID_PAYLOAD). */
  decode(value: Buffer | string): E;
}

export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * The schema each event object satisfies, for the events a contract built or decoded (weakly held:
 * an entry lives as long as its event). `encode` trusts these instead of validating them again.
 */
const conformingTo = new WeakMap<object, z.core.$ZodType>();

/** The schemas whose events a contract's `encode` trusts: its own and, for a union, its members'. */
function trustedSchemasOf(schema: z.ZodType): ReadonlySet<z.core.$ZodType> {
  return new Set<z.core.$ZodType>(schema instanceof z.ZodUnion ? [schema, ...schema.options] : [schema]);
}

export function defineEventContract<E extends { v: number; type: string; at: string }>(definition: {
  name: string;
  schema: z.ZodType<E>;
  version: E['v'];
  /** The event type to stamp in `build`; for union contracts the type comes from the fields. */
  type?: E['type'];
  key: (event: E) => string;
}): EventContract<E> {
  const { name, schema, key } = definition;
  const trusted = trustedSchemasOf(schema);
  const conforming = (event: E): E => {
    conformingTo.set(event, schema);
    return event;
  };
  const validate = (value: unknown): E => {
    const result = schema.safeParse(value);
    if (!result.success) {
      throw new ContractError('CONTRACT_INVALID_PAYLOAD', name, z.prettifyError(result.error), {
        cause: result.error,
      });
    }
    return conforming(result.data);
  };
  const stamp = (fields: DistributiveOmit<E, EventBaseFields>, at: Date) =>
    ({ type: definition.type, ...fields, v: definition.version, at: at.toISOString() }) as unknown as E;
  return {
    name,
    schema,
    key,
    build(fields, at = new Date()) {
      return validate(stamp(fields, at));
    },
    buildTrusted(fields, at = new Date()) {
      return conforming(stamp(fields, at));
    },
    encode(event) {
      const conformsTo = conformingTo.get(event);
      const checked = conformsTo !== undefined && trusted.has(conformsTo) ? event : validate(event);
      return Buffer.from(JSON.stringify(checked), 'utf8');
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
