import { z } from 'zod';
import { ContractError } from '../contract-error';
import { TimestampSchema } from '../client/fields';
import { isoNow } from './iso-now';

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
 * One typed, versioned event contract. A producer's event is validated once, where its fields come
 * in (`build`), or not at all when they are already validated (`buildTrusted`); `encode` trusts the
 * typed event it is given (zod on both build and encode of every event was ~5 % of the edge CPU).
 * Consumers validate whatever they decode, so a consumer never handles an unchecked payload, and
 * the contract tests (trusted-encode.spec.ts) build every event type through the trusted path and
 * decode it through the validating one, so a producer cannot emit what consumers would reject.
 */
export interface EventContract<E extends { v: number; type: string; at: string }> {
  /** Name used in errors and docs: the topic, or the topic pattern for per-edge topics. */
  readonly name: string;
  readonly schema: z.ZodType<E>;
  /**
   * `schema` compiled ahead of time by zod (`z.compile`), which `build` and `decode` validate with:
   * a valid value takes a generated fast path (the runtime parser was ~22,500 instructions of each
   * push the edge decodes), anything else falls back to the runtime parser, so issues and messages
   * stay zod's. compiled-schema.spec.ts checks the two agree on generated and mutated events.
   */
  readonly compiledSchema: z.ZodType<E>;
  /** The partition key of an event (the AOR it is about, unless the topic says otherwise). */
  key(event: E): string;
  /** Fills `v`, `type` and `at` (default now) and validates; throws ContractError(CONTRACT_INVALID_PAYLOAD). */
  build(fields: DistributiveOmit<E, EventBaseFields>, at?: Date): E;
  /**
   * `build` without validation, for fields that are already known to satisfy the schema: taken
   * from events this process decoded (validated), rows stored from such events, configuration and
   * typed constants. Input from a client or a SIP message goes through `build`, unless the producer
   * bounds every field where it comes in and a spec builds the event at those bounds and parses it
   * with the schema (the edge's sip.register-requested and sip.command-received).
   * The fields are written as given (`build` drops keys the schema does not know).
   * The contract tests encode every event type this way and decode it through the validating path.
   */
  buildTrusted(fields: DistributiveOmit<E, EventBaseFields>, at?: Date): E;
  /**
   * Serializes an event made by `build`, `buildTrusted` or `decode`, without validating it again.
   * Events are values: to change one, build it again.
   */
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
  const compiledSchema = z.compile(schema);
  const validate = (value: unknown): E => {
    const result = compiledSchema.safeParse(value);
    if (!result.success) {
      throw new ContractError('CONTRACT_INVALID_PAYLOAD', name, z.prettifyError(result.error), {
        cause: result.error,
      });
    }
    return result.data;
  };
  const stamp = (fields: DistributiveOmit<E, EventBaseFields>, at: Date | undefined) =>
    ({
      type: definition.type,
      ...fields,
      v: definition.version,
      at: at === undefined ? isoNow() : at.toISOString(),
    }) as unknown as E;
  return {
    name,
    schema,
    compiledSchema,
    key,
    build(fields, at) {
      return validate(stamp(fields, at));
    },
    buildTrusted(fields, at) {
      return stamp(fields, at);
    },
    encode(event) {
      return Buffer.from(JSON.stringify(event), 'utf8');
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

/**
 * One event type of a topic that carries several (edge outbound), on its own for `build`: named
 * and stamped with its type, version 1, keyed by the AOR it is about like every record of the topic.
 */
export function defineAorKeyedEventContract<E extends { v: 1; type: string; at: string; aor: string }>(
  type: E['type'],
  schema: z.ZodType<E>,
): EventContract<E> {
  return defineEventContract({ name: type, schema, version: 1, type, key: (event) => event.aor });
}
