import type { Socket } from 'node:net';
import type { BusRecord, ConsumedRecord } from '../event-bus';
import {
  type AssignmentFrame,
  encodeAck,
  encodeRecords,
  EdgeLinkFrameError,
  type HelloFrame,
  type LinkFrame,
  type RecordsFrame,
} from './link-frame';
import { LinkFrameParser } from './link-frame-parser';

/** Frame ids wrap after this (u32 on the wire; 0 is never used). */
const MAX_FRAME_ID = 0xffff_ffff;

export interface LinkConnectionOptions {
  /** Handles the records of one incoming records frame; resolves with how many were handled from the first. */
  onRecords(records: ConsumedRecord[]): Promise<number>;
  /**
   * Optional, tried first: takes a frame's records in order at once (a consumer's pipelines keep
   * each key's order), so the next frame starts without waiting; resolves with the handled count
   * from the first, and the frame is acked then. Undefined: not such a frame, onRecords handles it.
   */
  takeRecords?(records: ConsumedRecord[]): Promise<number> | undefined;
  /** Edge side: a service replica's assignment (since protocol 2); without it an assignment frame closes the connection. */
  onAssignment?(frame: AssignmentFrame): void;
  /** Server side: the first frame must be a hello, which this accepts (undefined) or refuses (a code). */
  onHello?(hello: HelloFrame): string | undefined;
  /** Told once, when the connection closes, why (a stable code), with the error if there was one. */
  onClose(code: string, error?: unknown): void;
  ackTimeoutMs: number;
  now?: () => number;
}

/** How a records frame fared: `reason` (a stable EDGE_LINK_ code) says why when not all were handled. */
export interface LinkSendResult {
  handled: number;
  reason?: string;
}

interface AwaitedAck {
  resolve(result: LinkSendResult): void;
  sentAt: number;
  records: number;
}

/**
 * One edge link connection, either side: sends records frames and resolves each with its ack's
 * handled count (0 when the connection closes first, or no ack came within ackTimeoutMs: the
 * connection is then destroyed, so nothing queued behind the frame is handled on it), and handles
 * incoming records frames, acking each: a frame takeRecords takes (a service replica's commands
 * and requests, taken into its consumer's pipelines, which keep each key's order) is taken at once
 * and acked when handled, possibly after later frames; any other (outcomes on a service, records
 * for the edge on an edge) is handled once the one before it was acked or taken. A frame that was
 * not handled whole ends the connection after its ack: later frames on it must not overtake the
 * refused records, which their sender publishes to Kafka. An assignment frame goes to onAssignment
 * (the edge's side; elsewhere it ends the connection). Frames written in one event-loop turn leave
 * in one write (cork until the next tick).
 */
export class LinkConnection {
  private readonly parser = new LinkFrameParser();
  private readonly awaitedAcks = new Map<number, AwaitedAck>();
  private readonly now: () => number;
  private nextFrameId = 1;
  private ackTimer: NodeJS.Timeout | undefined;
  /** The incoming frames' chain: each is handled once the one before it was acked (or taken). */
  private incoming: Promise<void> = Promise.resolve();
  /** Taken frames not acked yet (takeRecords). */
  private readonly takenFrames = new Set<Promise<void>>();
  private awaitingHello: boolean;
  private corked = false;
  /** Set by finish(): frames not started yet are no longer handled. */
  private finishing = false;
  private open = true;
  private closeCode = 'EDGE_LINK_CLOSED';

  constructor(
    private readonly socket: Socket,
    private readonly options: LinkConnectionOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.awaitingHello = options.onHello !== undefined;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    socket.on('end', () => this.ended());
    socket.on('error', (error) => this.close('EDGE_LINK_SOCKET_ERROR', error));
    socket.on('close', () => this.close('EDGE_LINK_CLOSED'));
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Records frames sent and not acknowledged yet. */
  get unacknowledgedFrames(): number {
    return this.awaitedAcks.size;
  }

  /** Sends `records` in one frame; resolves with how many the peer handled (none sent when they do not fit). */
  send(records: ReadonlyArray<BusRecord>): Promise<LinkSendResult> {
    if (!this.open) return Promise.resolve({ handled: 0, reason: this.closeCode });
    const frameId = this.nextFrameId;
    let frame: Buffer;
    try {
      frame = encodeRecords(frameId, records);
    } catch (error) {
      if (error instanceof EdgeLinkFrameError) return Promise.resolve({ handled: 0, reason: error.code });
      throw error;
    }
    this.nextFrameId = frameId === MAX_FRAME_ID ? 1 : frameId + 1;
    return new Promise((resolve) => {
      this.awaitedAcks.set(frameId, { resolve, sentAt: this.now(), records: records.length });
      this.write(frame);
      this.armAckTimer();
    });
  }

  /** Writes a frame; frames of one event-loop turn go out in one write. */
  write(frame: Buffer): void {
    if (!this.open) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  /** Closes: every unacknowledged frame resolves 0; incoming frames not started are not handled. */
  close(code: string, error?: unknown, graceful = false): void {
    if (!this.open) return;
    this.open = false;
    this.closeCode = code;
    clearTimeout(this.ackTimer);
    for (const awaited of this.awaitedAcks.values()) awaited.resolve({ handled: 0, reason: code });
    this.awaitedAcks.clear();
    if (graceful) {
      this.socket.end();
    } else {
      this.socket.destroy();
    }
    this.options.onClose(code, error);
  }

  /** Lets the frame being handled finish and be acked, handles no other, then closes with `code`. */
  async finish(code: string): Promise<void> {
    this.finishing = true;
    await this.incoming;
    while (this.takenFrames.size > 0) await Promise.all(this.takenFrames);
    this.close(code, undefined, true);
  }

  private received(chunk: Buffer): void {
    let frames: LinkFrame[];
    try {
      frames = this.parser.push(chunk);
    } catch (error) {
      this.close(error instanceof EdgeLinkFrameError ? error.code : 'EDGE_LINK_FRAME_MALFORMED', error);
      return;
    }
    for (const frame of frames) {
      if (!this.open) return;
      this.dispatch(frame);
    }
  }

  private ended(): void {
    try {
      this.parser.finish();
      this.close('EDGE_LINK_CLOSED_BY_PEER');
    } catch (error) {
      this.close('EDGE_LINK_FRAME_TRUNCATED', error);
    }
  }

  private dispatch(frame: LinkFrame): void {
    if (this.awaitingHello) {
      const refusal = frame.kind === 'hello' ? this.options.onHello!(frame) : 'EDGE_LINK_HELLO_EXPECTED';
      if (refusal !== undefined) {
        this.close(refusal);
      }
      this.awaitingHello = false;
      return;
    }
    switch (frame.kind) {
      case 'hello':
        this.close('EDGE_LINK_UNEXPECTED_HELLO');
        return;
      case 'ack':
        this.acked(frame.frameId, frame.handled);
        return;
      case 'records':
        this.incoming = this.incoming.then(() => this.handle(frame));
        return;
      case 'assignment':
        if (this.options.onAssignment === undefined) {
          this.close('EDGE_LINK_UNEXPECTED_ASSIGNMENT');
        } else {
          this.options.onAssignment(frame);
        }
        return;
    }
  }

  private acked(frameId: number, handled: number): void {
    const awaited = this.awaitedAcks.get(frameId);
    if (awaited === undefined) {
      this.close('EDGE_LINK_UNKNOWN_ACK');
      return;
    }
    this.awaitedAcks.delete(frameId);
    awaited.resolve(
      handled >= awaited.records ? { handled: awaited.records } : { handled, reason: 'EDGE_LINK_REFUSED' },
    );
  }

  private async handle(frame: RecordsFrame): Promise<void> {
    // A frame not started before the connection closed (or began to finish) is not handled: its sender falls back.
    if (!this.open || this.finishing) return;
    const consumed = frame.records.map((record, index): ConsumedRecord => ({
      ...record,
      partition: -1,
      offset: `link:${frame.frameId}.${index}`,
    }));
    const taking = this.options.takeRecords?.(consumed);
    if (taking !== undefined) {
      const acked = this.acknowledge(frame.frameId, consumed.length, taking).finally(() =>
        this.takenFrames.delete(acked),
      );
      this.takenFrames.add(acked);
      return;
    }
    await this.acknowledge(frame.frameId, consumed.length, this.options.onRecords(consumed));
  }

  /** Acks a frame with what `handling` handled; a frame not handled whole (or failed) ends the connection. */
  private async acknowledge(frameId: number, records: number, handling: Promise<number>): Promise<void> {
    let handled: number;
    try {
      handled = Math.max(0, Math.min(await handling, records));
    } catch (error) {
      this.write(encodeAck(frameId, 0));
      this.close('EDGE_LINK_HANDLER_FAILED', error, true);
      return;
    }
    this.write(encodeAck(frameId, handled));
    if (handled < records) {
      this.close('EDGE_LINK_REFUSED', undefined, true);
    }
  }

  /** One timer per connection, for the oldest unacknowledged frame (taken frames may be acked out of order). */
  private armAckTimer(): void {
    if (this.ackTimer !== undefined) return;
    const oldest = this.awaitedAcks.values().next().value;
    if (oldest === undefined) return;
    const wait = Math.max(0, oldest.sentAt + this.options.ackTimeoutMs - this.now());
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      const stillOldest = this.awaitedAcks.values().next().value;
      if (stillOldest !== undefined && this.now() - stillOldest.sentAt >= this.options.ackTimeoutMs) {
        this.close('EDGE_LINK_ACK_TIMEOUT');
      } else {
        this.armAckTimer();
      }
    }, wait);
  }
}
