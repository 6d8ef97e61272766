import type { BusRecord } from '../event-bus';

/**
 * The edge link's wire format: every frame is `u32 length | u8 kind | body` (big endian; length
 * counts the kind byte and the body). Kinds:
 * - hello   (1): u8 version | u8 flags (bit 0: the sender takes outcome frames) | str16 origin | str16 token ('' = none)
 * - records (2): u32 frameId | u32 count | count × (str16 topic | str16 key | bytes32 value | u16 headers | headers × (str16 name | str16 value))
 * - ack     (3): u32 frameId | u32 handled (how many of the frame's records, from its first, were handled)
 * - assignment (4, service -> edge, since version 2): u16 topics | topics × (str16 topic | u32 partitionCount | u32 count | count × u32 partition):
 *   the partitions of the topics this replica's consumer owns now, which the edge may send records of
 *   over this connection; each assignment frame replaces the one before (none owned = no topics).
 * str16 is a u16 byte length then UTF-8; bytes32 a u32 length then the bytes.
 */
export const EDGE_LINK_PROTOCOL_VERSION = 2;
/** Largest frame (kind byte and body) a parser accepts and an encoder writes: a larger publish goes to Kafka. */
export const EDGE_LINK_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Most records in one records frame. */
export const EDGE_LINK_MAX_RECORDS_PER_FRAME = 4_096;
/** hello flag: the sender (a service replica) hands outcome frames to its outcome subscription. */
export const HELLO_TAKES_OUTCOMES = 1;
/** Most topics in one assignment frame. */
export const EDGE_LINK_MAX_ASSIGNED_TOPICS = 256;
/** Largest partition count an assignment may name (Kafka's practical ceiling per topic is far below). */
export const EDGE_LINK_MAX_PARTITIONS = 1 << 20;

const LENGTH_BYTES = 4;
const MAX_STR16_BYTES = 0xffff;
const MAX_HEADERS = 0xffff;

/** The kind byte of each frame. */
const KIND_BYTE = { hello: 1, records: 2, ack: 3, assignment: 4 } as const;

export interface HelloFrame {
  kind: 'hello';
  version: number;
  origin: string;
  /** '' when the sender has none. */
  token: string;
  takesOutcomes: boolean;
}
export interface RecordsFrame {
  kind: 'records';
  frameId: number;
  records: BusRecord[];
}
export interface AckFrame {
  kind: 'ack';
  frameId: number;
  handled: number;
}
/** The partitions of one topic a service replica's consumer owns, out of the topic's partitionCount. */
export interface TopicAssignment {
  topic: string;
  partitionCount: number;
  partitions: number[];
}
export interface AssignmentFrame {
  kind: 'assignment';
  topics: TopicAssignment[];
}
export type LinkFrame = HelloFrame | RecordsFrame | AckFrame | AssignmentFrame;

export type EdgeLinkFrameErrorCode =
  | 'EDGE_LINK_FRAME_TOO_LARGE'
  | 'EDGE_LINK_TOO_MANY_RECORDS'
  | 'EDGE_LINK_FIELD_TOO_LONG'
  | 'EDGE_LINK_FRAME_MALFORMED'
  | 'EDGE_LINK_FRAME_TRUNCATED'
  | 'EDGE_LINK_UNKNOWN_FRAME_KIND'
  | 'EDGE_LINK_BAD_ASSIGNMENT';

/** A frame that breaks the format or its limits (decoding), or cannot be written within them (encoding). */
export class EdgeLinkFrameError extends Error {
  constructor(
    readonly code: EdgeLinkFrameErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EdgeLinkFrameError';
  }
}

export function encodeHello(hello: Omit<HelloFrame, 'kind'>): Buffer {
  const origin = Buffer.from(hello.origin, 'utf8');
  const token = Buffer.from(hello.token, 'utf8');
  checkStr16(origin.length, 'origin');
  checkStr16(token.length, 'token');
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + 1 + 2 + 2 + origin.length + 2 + token.length);
  let at = frame.writeUInt32BE(frame.length - LENGTH_BYTES, 0);
  at = frame.writeUInt8(KIND_BYTE.hello, at);
  at = frame.writeUInt8(hello.version, at);
  at = frame.writeUInt8(hello.takesOutcomes ? HELLO_TAKES_OUTCOMES : 0, at);
  at = frame.writeUInt16BE(origin.length, at);
  at += origin.copy(frame, at);
  at = frame.writeUInt16BE(token.length, at);
  token.copy(frame, at);
  return frame;
}

export function encodeAck(frameId: number, handled: number): Buffer {
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + 1 + 4 + 4);
  let at = frame.writeUInt32BE(frame.length - LENGTH_BYTES, 0);
  at = frame.writeUInt8(KIND_BYTE.ack, at);
  at = frame.writeUInt32BE(frameId, at);
  frame.writeUInt32BE(handled, at);
  return frame;
}

export function encodeAssignment(topics: ReadonlyArray<TopicAssignment>): Buffer {
  checkAssignment(topics);
  let bodyBytes = 1 + 2;
  for (const assigned of topics) {
    bodyBytes += str16Bytes(assigned.topic, 'topic') + 4 + 4 + 4 * assigned.partitions.length;
  }
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + bodyBytes);
  let at = frame.writeUInt32BE(bodyBytes, 0);
  at = frame.writeUInt8(KIND_BYTE.assignment, at);
  at = frame.writeUInt16BE(topics.length, at);
  for (const assigned of topics) {
    at = writeStr16(frame, at, assigned.topic);
    at = frame.writeUInt32BE(assigned.partitionCount, at);
    at = frame.writeUInt32BE(assigned.partitions.length, at);
    for (const partition of assigned.partitions) at = frame.writeUInt32BE(partition, at);
  }
  return frame;
}

/**
 * An assignment both sides can act on: at most EDGE_LINK_MAX_ASSIGNED_TOPICS topics, each once, a
 * partition count of 1..EDGE_LINK_MAX_PARTITIONS and distinct partitions below it. Throws
 * EDGE_LINK_BAD_ASSIGNMENT (the parser's check of a received frame, and the encoder's of its own).
 */
export function checkAssignment(topics: ReadonlyArray<TopicAssignment>): void {
  const refuse = (why: string): never => {
    throw new EdgeLinkFrameError('EDGE_LINK_BAD_ASSIGNMENT', why);
  };
  if (topics.length > EDGE_LINK_MAX_ASSIGNED_TOPICS) {
    refuse(`${topics.length} topics exceed ${EDGE_LINK_MAX_ASSIGNED_TOPICS} per assignment`);
  }
  const seen = new Set<string>();
  for (const { topic, partitionCount, partitions } of topics) {
    if (seen.has(topic)) refuse(`topic ${topic} is assigned twice`);
    seen.add(topic);
    if (
      !Number.isInteger(partitionCount) ||
      partitionCount < 1 ||
      partitionCount > EDGE_LINK_MAX_PARTITIONS
    ) {
      refuse(`topic ${topic}: partition count ${partitionCount} is not 1-${EDGE_LINK_MAX_PARTITIONS}`);
    }
    const distinct = new Set<number>();
    for (const partition of partitions) {
      if (
        !Number.isInteger(partition) ||
        partition < 0 ||
        partition >= partitionCount ||
        distinct.has(partition)
      ) {
        refuse(`topic ${topic}: partition ${partition} is not a distinct partition below ${partitionCount}`);
      }
      distinct.add(partition);
    }
  }
}

/** One Buffer for the whole frame: sizes are measured first, then every field is written in place. */
export function encodeRecords(frameId: number, records: ReadonlyArray<BusRecord>): Buffer {
  if (records.length > EDGE_LINK_MAX_RECORDS_PER_FRAME) {
    throw new EdgeLinkFrameError(
      'EDGE_LINK_TOO_MANY_RECORDS',
      `${records.length} records exceed ${EDGE_LINK_MAX_RECORDS_PER_FRAME} per frame`,
    );
  }
  let bodyBytes = 1 + 4 + 4;
  for (const record of records) {
    bodyBytes +=
      str16Bytes(record.topic, 'topic') + str16Bytes(record.key, 'key') + 4 + record.value.length + 2;
    let headers = 0;
    for (const name in record.headers) {
      bodyBytes += str16Bytes(name, 'header name') + str16Bytes(record.headers[name]!, 'header value');
      headers += 1;
    }
    if (headers > MAX_HEADERS) {
      throw new EdgeLinkFrameError('EDGE_LINK_FIELD_TOO_LONG', `${headers} headers exceed ${MAX_HEADERS}`);
    }
  }
  if (bodyBytes > EDGE_LINK_MAX_FRAME_BYTES) {
    throw new EdgeLinkFrameError(
      'EDGE_LINK_FRAME_TOO_LARGE',
      `a frame of ${bodyBytes} bytes exceeds ${EDGE_LINK_MAX_FRAME_BYTES}`,
    );
  }
  const frame = Buffer.allocUnsafe(LENGTH_BYTES + bodyBytes);
  let at = frame.writeUInt32BE(bodyBytes, 0);
  at = frame.writeUInt8(KIND_BYTE.records, at);
  at = frame.writeUInt32BE(frameId, at);
  at = frame.writeUInt32BE(records.length, at);
  for (const record of records) {
    at = writeStr16(frame, at, record.topic);
    at = writeStr16(frame, at, record.key);
    at = frame.writeUInt32BE(record.value.length, at);
    at += record.value.copy(frame, at);
    const names = Object.keys(record.headers);
    at = frame.writeUInt16BE(names.length, at);
    for (const name of names) {
      at = writeStr16(frame, at, name);
      at = writeStr16(frame, at, record.headers[name]!);
    }
  }
  return frame;
}

function str16Bytes(text: string, field: string): number {
  const bytes = Buffer.byteLength(text, 'utf8');
  checkStr16(bytes, field);
  return 2 + bytes;
}

function checkStr16(bytes: number, field: string): void {
  if (bytes > MAX_STR16_BYTES) {
    throw new EdgeLinkFrameError(
      'EDGE_LINK_FIELD_TOO_LONG',
      `${field} of ${bytes} bytes exceeds ${MAX_STR16_BYTES}`,
    );
  }
}

function writeStr16(frame: Buffer, at: number, text: string): number {
  const bytes = frame.write(text, at + 2, 'utf8');
  frame.writeUInt16BE(bytes, at);
  return at + 2 + bytes;
}
