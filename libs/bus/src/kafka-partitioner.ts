import { Partitioners, type ICustomPartitioner } from 'kafkajs';

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

/**
 * Kafka's murmur2 of a key (the Java client's `Utils.murmur2`), in 32-bit integer arithmetic:
 * the same value as kafkajs' own, which emulates 64-bit Longs and allocates several objects per 4
 * bytes of key (about five times the time, per record produced).
 */
export function murmur2(key: Buffer): number {
  const length = key.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = key[i] | (key[i + 1] << 8) | (key[i + 2] << 16) | (key[i + 3] << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last 1-3 bytes, as the Java original's falling-through switch takes them.
  const tail = length & 3;
  if (tail === 3) h ^= key[whole + 2] << 16;
  if (tail >= 2) h ^= key[whole + 1] << 8;
  if (tail >= 1) h = Math.imul(h ^ key[whole], M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h;
}

/**
 * The partition of a keyed record among `partitionCount`, as the Java client and HeraldPartitioner
 * choose it: murmur2 of the key's UTF-8 bytes, made positive, modulo the count. The edge routes a
 * record over the link to the replica that owns this partition (EdgeLinkBus).
 */
export function partitionOfKey(key: string | Buffer, partitionCount: number): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return (murmur2(bytes) & 0x7fffffff) % partitionCount;
}

/**
 * kafkajs' DefaultPartitioner (Java-compatible: a key's partition is murmur2 of its bytes, made
 * positive, modulo the topic's partitions) with the faster murmur2: every key keeps its partition,
 * so one AOR's records stay in order across producers of either kind. A message without a key,
 * which Herald never sends, goes to kafkajs' own.
 */
export const HeraldPartitioner: ICustomPartitioner = () => {
  const keyless = Partitioners.DefaultPartitioner();
  return (args) => {
    const { partitionMetadata, message } = args;
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const { key } = message;
    if (key === null || key === undefined) return keyless(args);
    return partitionOfKey(Buffer.isBuffer(key) ? key : String(key), partitionMetadata.length);
  };
};
