import type { BusRecord } from '../event-bus';
import {
  EDGE_LINK_MAX_FRAME_BYTES,
  EDGE_LINK_MAX_RECORDS_PER_FRAME,
  EDGE_LINK_PROTOCOL_VERSION,
  EdgeLinkFrameError,
  EDGE_LINK_MAX_ASSIGNED_TOPICS,
  encodeAck,
  encodeAssignment,
  encodeHello,
  encodeRecords,
  type LinkFrame,
} from './link-frame';
import { LinkFrameParser } from './link-frame-parser';

const records: BusRecord[] = [
  {
    topic: 'edge.edge-a.outbound.v1',
    key: 'sip:alice@example.com',
    value: Buffer.from('{"type":"push.requested","é":"ü"}'),
    headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  },
  { topic: 'edge.edge-a.outbound.v1', key: 'sip:bob@example.com', value: Buffer.alloc(0), headers: {} },
];

const hello = encodeHello({
  version: EDGE_LINK_PROTOCOL_VERSION,
  origin: 'im-router',
  token: 's3cret',
  takesOutcomes: true,
});
const recordsFrame = encodeRecords(7, records);
const ack = encodeAck(7, 2);
const assignment = encodeAssignment([
  { topic: 'sip.command-received.im-router.v1', partitionCount: 12, partitions: [0, 5, 11] },
  { topic: 'sip.register-requested.v1', partitionCount: 3, partitions: [] },
]);
const stream = Buffer.concat([hello, recordsFrame, ack, assignment]);
const expected: LinkFrame[] = [
  {
    kind: 'hello',
    version: EDGE_LINK_PROTOCOL_VERSION,
    origin: 'im-router',
    token: 's3cret',
    takesOutcomes: true,
  },
  { kind: 'records', frameId: 7, records },
  { kind: 'ack', frameId: 7, handled: 2 },
  {
    kind: 'assignment',
    topics: [
      { topic: 'sip.command-received.im-router.v1', partitionCount: 12, partitions: [0, 5, 11] },
      { topic: 'sip.register-requested.v1', partitionCount: 3, partitions: [] },
    ],
  },
];

/** Plain objects, so a null-prototype headers object compares equal to a literal. */
function plain(frames: LinkFrame[]): unknown {
  return JSON.parse(JSON.stringify(frames, (_key, value: unknown) => value)) as unknown;
}

function codeOf(work: () => unknown): string | undefined {
  try {
    work();
  } catch (error) {
    if (error instanceof EdgeLinkFrameError) return error.code;
    throw error;
  }
  return undefined;
}

describe('edge link frames', () => {
  it('decodes what it encodes, several frames in one chunk', () => {
    const parser = new LinkFrameParser();
    expect(plain(parser.push(stream))).toEqual(plain(expected));
    expect(() => parser.finish()).not.toThrow();
  });

  it('decodes the same frames from a stream split at every byte boundary', () => {
    for (let split = 1; split < stream.length; split += 1) {
      const parser = new LinkFrameParser();
      const frames = [...parser.push(stream.subarray(0, split)), ...parser.push(stream.subarray(split))];
      expect(plain(frames)).toEqual(plain(expected));
    }
  });

  it('decodes the stream fed one byte at a time', () => {
    const parser = new LinkFrameParser();
    const frames: LinkFrame[] = [];
    for (let at = 0; at < stream.length; at += 1) frames.push(...parser.push(stream.subarray(at, at + 1)));
    expect(plain(frames)).toEqual(plain(expected));
  });

  it('keeps a record value and its headers byte for byte', () => {
    const [frame] = new LinkFrameParser().push(recordsFrame);
    expect(frame?.kind).toBe('records');
    const decoded = frame?.kind === 'records' ? frame.records[0] : undefined;
    expect(decoded?.value.equals(records[0]!.value)).toBe(true);
    expect(decoded?.headers.traceparent).toBe(records[0]!.headers.traceparent);
  });

  it('takes a header named __proto__ as a header', () => {
    const frame = encodeRecords(1, [
      { ...records[1]!, headers: JSON.parse('{"__proto__":"x"}') as Record<string, string> },
    ]);
    const [decoded] = new LinkFrameParser().push(frame);
    const headers = decoded?.kind === 'records' ? decoded.records[0]!.headers : {};
    expect(Object.getOwnPropertyDescriptor(headers, '__proto__')?.value).toBe('x');
  });

  it('refuses a truncated stream at its end', () => {
    const parser = new LinkFrameParser();
    parser.push(recordsFrame.subarray(0, recordsFrame.length - 1));
    expect(codeOf(() => parser.finish())).toBe('EDGE_LINK_FRAME_TRUNCATED');
    const header = new LinkFrameParser();
    header.push(recordsFrame.subarray(0, 2));
    expect(codeOf(() => header.finish())).toBe('EDGE_LINK_FRAME_TRUNCATED');
  });

  it('refuses an oversized frame from its length prefix, before its body arrives', () => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(EDGE_LINK_MAX_FRAME_BYTES + 1);
    expect(codeOf(() => new LinkFrameParser().push(prefix))).toBe('EDGE_LINK_FRAME_TOO_LARGE');
  });

  it('refuses an unknown kind', () => {
    expect(codeOf(() => new LinkFrameParser().push(Buffer.from([0, 0, 0, 1, 9])))).toBe(
      'EDGE_LINK_UNKNOWN_FRAME_KIND',
    );
  });

  it('refuses a field running past its frame, and bytes after the fields', () => {
    const short = Buffer.from(ack.subarray(0, ack.length - 1));
    short.writeUInt32BE(short.length - 4);
    expect(codeOf(() => new LinkFrameParser().push(short))).toBe('EDGE_LINK_FRAME_MALFORMED');
    const long = Buffer.concat([ack, Buffer.from([0])]);
    long.writeUInt32BE(long.length - 4);
    expect(codeOf(() => new LinkFrameParser().push(long))).toBe('EDGE_LINK_FRAME_MALFORMED');
  });

  it('refuses a record count above the limit, and one the frame cannot hold', () => {
    const tooMany = Buffer.from(encodeRecords(1, []));
    tooMany.writeUInt32BE(EDGE_LINK_MAX_RECORDS_PER_FRAME + 1, 9);
    expect(codeOf(() => new LinkFrameParser().push(tooMany))).toBe('EDGE_LINK_TOO_MANY_RECORDS');
    const hollow = Buffer.from(encodeRecords(1, []));
    hollow.writeUInt32BE(1_000, 9);
    expect(codeOf(() => new LinkFrameParser().push(hollow))).toBe('EDGE_LINK_FRAME_MALFORMED');
  });

  it('refuses an assignment no side could act on, sent or received', () => {
    const bad = [
      [{ topic: 't', partitionCount: 4, partitions: [4] }],
      [{ topic: 't', partitionCount: 4, partitions: [1, 1] }],
      [{ topic: 't', partitionCount: 0, partitions: [] }],
      [
        { topic: 't', partitionCount: 4, partitions: [0] },
        { topic: 't', partitionCount: 4, partitions: [1] },
      ],
      Array.from({ length: EDGE_LINK_MAX_ASSIGNED_TOPICS + 1 }, (_, index) => ({
        topic: `t${index}`,
        partitionCount: 1,
        partitions: [],
      })),
    ];
    for (const topics of bad) {
      expect(codeOf(() => encodeAssignment(topics))).toBe('EDGE_LINK_BAD_ASSIGNMENT');
    }
    // The same refusal on receipt: partition 4 of 4, written by hand past the encoder's check.
    const frame = encodeAssignment([{ topic: 't', partitionCount: 5, partitions: [4] }]);
    frame.writeUInt32BE(4, frame.length - 12);
    expect(codeOf(() => new LinkFrameParser().push(frame))).toBe('EDGE_LINK_BAD_ASSIGNMENT');
    // An owned count the frame cannot hold is malformed before anything is allocated for it.
    const short = encodeAssignment([{ topic: 't', partitionCount: 5, partitions: [] }]);
    short.writeUInt32BE(1_000_000, short.length - 4);
    expect(codeOf(() => new LinkFrameParser().push(short))).toBe('EDGE_LINK_FRAME_MALFORMED');
  });

  it('reads only the version of another version’s hello', () => {
    const other = Buffer.from([0, 0, 0, 4, 1, EDGE_LINK_PROTOCOL_VERSION + 1, 0xff, 0xff]);
    expect(new LinkFrameParser().push(other)).toEqual([
      { kind: 'hello', version: EDGE_LINK_PROTOCOL_VERSION + 1, origin: '', token: '', takesOutcomes: false },
    ]);
  });

  it('will not encode a frame over the limits', () => {
    const many = Array.from({ length: EDGE_LINK_MAX_RECORDS_PER_FRAME + 1 }, () => records[1]!);
    expect(codeOf(() => encodeRecords(1, many))).toBe('EDGE_LINK_TOO_MANY_RECORDS');
    const big = [{ ...records[1]!, value: Buffer.alloc(EDGE_LINK_MAX_FRAME_BYTES) }];
    expect(codeOf(() => encodeRecords(1, big))).toBe('EDGE_LINK_FRAME_TOO_LARGE');
    const longKey = [{ ...records[1]!, key: 'k'.repeat(0x10000) }];
    expect(codeOf(() => encodeRecords(1, longKey))).toBe('EDGE_LINK_FIELD_TOO_LONG');
  });
});
