import { createRequire } from 'node:module';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { HeraldPartitioner, murmur2, partitionOfKey } from './kafka-partitioner';

/** kafkajs' own murmur2, the reference (its DefaultPartitioner uses it). */
const kafkajsMurmur2 = createRequire(require.resolve('kafkajs'))(
  './src/producer/partitioners/default/murmur2',
) as (key: Buffer | string) => number;

const partitions = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));

/** Keys of every length 0..40 (each tail length), ASCII and multi-byte UTF-8. */
const keys = [
  '',
  ...Array.from({ length: 40 }, (_, length) => 'sip:alice@herald.local'.repeat(2).slice(0, length)),
  ...Array.from({ length: 500 }, (_, i) => `sip:user${i * 7919}@herald.example`),
  'sip:zoë@herald.local',
  'sip:用户@herald.local',
];

describe('murmur2', () => {
  it("equals kafkajs' (the Java client's) murmur2 for keys of every tail length and multi-byte characters", () => {
    for (const key of keys) expect(murmur2(Buffer.from(key))).toBe(kafkajsMurmur2(key));
  });

  it("matches the Java client's published value for a known key", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2: "21" hashes to -973932308.
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
  });
});

describe('HeraldPartitioner', () => {
  it("puts every key on the partition kafkajs' DefaultPartitioner chooses", () => {
    const herald = HeraldPartitioner();
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const count of [1, 4, 12, 31]) {
      const partitionMetadata = partitions(count);
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: null } };
        expect(herald(args)).toBe(kafkajs(args));
      }
    }
  });

  it('chooses the partition partitionOfKey gives the edge link for the same key and count', () => {
    const herald = HeraldPartitioner();
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const count of [1, 3, 12]) {
      const partitionMetadata = partitions(count);
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata, message: { key, value: null } };
        expect(partitionOfKey(key, count)).toBe(kafkajs(args));
        expect(partitionOfKey(key, count)).toBe(herald(args));
      }
    }
  });

  it('keeps a partition the message names, and a Buffer key hashes like its string', () => {
    const herald = HeraldPartitioner();
    const partitionMetadata = partitions(12);
    expect(herald({ topic: 't', partitionMetadata, message: { key: 'a', value: null, partition: 7 } })).toBe(
      7,
    );
    expect(
      herald({ topic: 't', partitionMetadata, message: { key: Buffer.from('sip:bob@x'), value: null } }),
    ).toBe(herald({ topic: 't', partitionMetadata, message: { key: 'sip:bob@x', value: null } }));
  });

  it('spreads keyless messages over the partitions as kafkajs does (round robin)', () => {
    const herald = HeraldPartitioner();
    const partitionMetadata = partitions(4);
    const chosen = Array.from({ length: 8 }, () =>
      herald({ topic: 't', partitionMetadata, message: { value: null } }),
    );
    expect(new Set(chosen).size).toBe(4);
  });
});
