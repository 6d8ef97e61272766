import type { BusRecord } from '../event-bus';

/**
 * The edge link's wire format: every frame is `u32 length | u8 kind | body` (big endian; length
 * counts the kind byte and the body). Kinds:
 * - hello   (1): u8 version | u8 flags (bit 0: the sender takes outcome frames) | str16 origin | str16 token ('' = none)
 * - records (2): u32 frameId | u32 count | count × (str16 topic | str16 key | bytes32 value | u16 headers | headers × (str16 name | str16 value))
 * - ack     (3): u32 frameId | u32 handled (how many of the frame's records, from its first, were handled)
 * str16 is a u16 byte length then UTF-8; bytes32 a u32 length then the bytes.
 */
export const EDGE_LINK_PROTOCOL_VERSION = 1;
/** Largest frame (kind byte and body) a parser accepts and an encoder writes: a larger publish goes to Kafka. */
export const EDGE_LINK_MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Most records in one records frame. */
export const EDGE_LINK_MAX_RECORDS_PER_FRAME = 4_096;
/** hello flag: the sender (a service replica) hands outcome frames to its outcome subscription. */
export const HELLO_TAKES_OUTCOMES = 1;

const LENGTH_BYTES = 4;
const MAX_STR16_BYTES = 0xffff;
const MAX_HEADERS = 0xffff;

/** The kind byte of each frame. */
const KIND_BYTE = { hello: 1, records: 2, ack: 3 } as const;

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
export type LinkFrame = HelloFrame | RecordsFrame | AckFrame;

export type EdgeLinkFrameErrorCode =
  | 'EDGE_LINK_FRAME_TOO_LARGE'
  | 'EDGE_LINK_TOO_MANY_RECORDS'
  | 'EDGE_LINK_FIELD_TOO_LONG'
  | 'EDGE_LINK_FRAME_MALFORMED'
  | 'EDGE_LINK_FRAME_TRUNCATED'
  | 'EDGE_LINK_UNKNOWN_FRAME_KIND';

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
