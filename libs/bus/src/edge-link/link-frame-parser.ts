import type { BusRecord } from '../event-bus';
import {
  EDGE_LINK_MAX_FRAME_BYTES,
  EDGE_LINK_MAX_RECORDS_PER_FRAME,
  EDGE_LINK_PROTOCOL_VERSION,
  EDGE_LINK_MAX_ASSIGNED_TOPICS,
  EdgeLinkFrameError,
  HELLO_TAKES_OUTCOMES,
  checkAssignment,
  type LinkFrame,
  type TopicAssignment,
} from './link-frame';

const LENGTH_BYTES = 4;
/** The smallest record: empty topic and key (2 + 2), value length (4), header count (2). */
const MIN_RECORD_BYTES = 10;

/**
 * Incremental parser of the edge link's frames (format in link-frame.ts), a state machine over
 * the chunks a socket delivers, in the manner of ws's Receiver: it waits for the 4-byte length,
 * checks it against EDGE_LINK_MAX_FRAME_BYTES before buffering anything of the body, then waits
 * for the body and decodes it. Chunks are kept as they came; bytes are copied only when a frame
 * spans chunks. After a thrown EdgeLinkFrameError the parser is spent: the connection closes.
 */
export class LinkFrameParser {
  private readonly chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** The body length of the frame being read, once its length prefix was read. */
  private bodyBytes: number | undefined;

  /** Adds a chunk and returns the frames it completed, in order. */
  push(chunk: Buffer): LinkFrame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.bufferedBytes += chunk.length;
    }
    const frames: LinkFrame[] = [];
    for (;;) {
      if (this.bodyBytes === undefined) {
        if (this.bufferedBytes < LENGTH_BYTES) break;
        this.bodyBytes = this.consume(LENGTH_BYTES).readUInt32BE(0);
        if (this.bodyBytes > EDGE_LINK_MAX_FRAME_BYTES) {
          throw new EdgeLinkFrameError(
            'EDGE_LINK_FRAME_TOO_LARGE',
            `a frame of ${this.bodyBytes} bytes exceeds ${EDGE_LINK_MAX_FRAME_BYTES}`,
          );
        }
      }
      if (this.bufferedBytes < this.bodyBytes) break;
      const body = this.consume(this.bodyBytes);
      this.bodyBytes = undefined;
      frames.push(decodeBody(body));
    }
    return frames;
  }

  /** The stream ended: throws EDGE_LINK_FRAME_TRUNCATED when it ended inside a frame. */
  finish(): void {
    if (this.bodyBytes !== undefined || this.bufferedBytes > 0) {
      throw new EdgeLinkFrameError('EDGE_LINK_FRAME_TRUNCATED', 'the stream ended inside a frame');
    }
  }

  /** Takes the next `bytes` buffered bytes (a view when they lie in one chunk). */
  private consume(bytes: number): Buffer {
    this.bufferedBytes -= bytes;
    const first = this.chunks[0];
    if (first !== undefined && first.length >= bytes) {
      if (first.length === bytes) {
        this.chunks.shift();
      } else {
        this.chunks[0] = first.subarray(bytes);
      }
      return first.subarray(0, bytes);
    }
    const taken = Buffer.allocUnsafe(bytes);
    let filled = 0;
    while (filled < bytes) {
      const chunk = this.chunks[0]!;
      const part = Math.min(chunk.length, bytes - filled);
      chunk.copy(taken, filled, 0, part);
      filled += part;
      if (part === chunk.length) {
        this.chunks.shift();
      } else {
        this.chunks[0] = chunk.subarray(part);
      }
    }
    return taken;
  }
}

function decodeBody(body: Buffer): LinkFrame {
  const reader = new BodyReader(body);
  const kind = reader.u8();
  switch (kind) {
    case 1: {
      const version = reader.u8();
      if (version !== EDGE_LINK_PROTOCOL_VERSION) {
        // Another version's hello may have other fields: only its version is read, to refuse it by name.
        return { kind: 'hello', version, origin: '', token: '', takesOutcomes: false };
      }
      const flags = reader.u8();
      const origin = reader.str16();
      const token = reader.str16();
      reader.end();
      return { kind: 'hello', version, origin, token, takesOutcomes: (flags & HELLO_TAKES_OUTCOMES) !== 0 };
    }
    case 2: {
      const frameId = reader.u32();
      const count = reader.u32();
      if (count > EDGE_LINK_MAX_RECORDS_PER_FRAME) {
        throw new EdgeLinkFrameError(
          'EDGE_LINK_TOO_MANY_RECORDS',
          `${count} records exceed ${EDGE_LINK_MAX_RECORDS_PER_FRAME} per frame`,
        );
      }
      reader.need(count * MIN_RECORD_BYTES);
      const records: BusRecord[] = [];
      for (let index = 0; index < count; index += 1) {
        records.push(reader.record());
      }
      reader.end();
      return { kind: 'records', frameId, records };
    }
    case 3: {
      const frameId = reader.u32();
      const handled = reader.u32();
      reader.end();
      return { kind: 'ack', frameId, handled };
    }
    case 4: {
      const count = reader.u16();
      if (count > EDGE_LINK_MAX_ASSIGNED_TOPICS) {
        throw new EdgeLinkFrameError(
          'EDGE_LINK_BAD_ASSIGNMENT',
          `${count} topics exceed ${EDGE_LINK_MAX_ASSIGNED_TOPICS} per assignment`,
        );
      }
      const topics: TopicAssignment[] = [];
      for (let index = 0; index < count; index += 1) {
        const topic = reader.str16();
        const partitionCount = reader.u32();
        const owned = reader.u32();
        // Checked against the bytes left before anything is allocated for them.
        reader.need(owned * 4);
        const partitions: number[] = [];
        for (let at = 0; at < owned; at += 1) partitions.push(reader.u32());
        topics.push({ topic, partitionCount, partitions });
      }
      reader.end();
      checkAssignment(topics);
      return { kind: 'assignment', topics };
    }
    default:
      throw new EdgeLinkFrameError('EDGE_LINK_UNKNOWN_FRAME_KIND', `unknown frame kind ${kind}`);
  }
}

/** Reads a frame's body; every read is bounds-checked (EDGE_LINK_FRAME_MALFORMED past the end). */
class BodyReader {
  private at = 0;

  constructor(private readonly body: Buffer) {}

  need(bytes: number): void {
    if (this.at + bytes > this.body.length) {
      throw new EdgeLinkFrameError('EDGE_LINK_FRAME_MALFORMED', 'a field runs past the end of its frame');
    }
  }

  u8(): number {
    this.need(1);
    return this.body.readUInt8(this.at++);
  }

  u16(): number {
    this.need(2);
    const value = this.body.readUInt16BE(this.at);
    this.at += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.body.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  bytes(length: number): Buffer {
    this.need(length);
    const bytes = this.body.subarray(this.at, this.at + length);
    this.at += length;
    return bytes;
  }

  str16(): string {
    const length = this.u16();
    this.need(length);
    const text = this.body.toString('utf8', this.at, this.at + length);
    this.at += length;
    return text;
  }

  record(): BusRecord {
    const topic = this.str16();
    const key = this.str16();
    const value = this.bytes(this.u32());
    // No prototype: a header named `__proto__` is a header like any other.
    const headers = Object.create(null) as Record<string, string>;
    for (let count = this.u16(); count > 0; count -= 1) {
      const name = this.str16();
      headers[name] = this.str16();
    }
    return { topic, key, value, headers };
  }

  /** The body must be used up exactly: trailing bytes mean the sender and we disagree on the format. */
  end(): void {
    if (this.at !== this.body.length) {
      throw new EdgeLinkFrameError(
        'EDGE_LINK_FRAME_MALFORMED',
        `${this.body.length - this.at} bytes after the frame's fields`,
      );
    }
  }
}
