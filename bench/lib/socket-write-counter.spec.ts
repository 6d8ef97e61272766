import { LinkFrameCounter } from './socket-write-counter';

/** A frame as libs/bus/src/edge-link/link-frame.ts writes it: u32 length | u8 kind | body. */
function frame(kind: number, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(1 + body.length, 0);
  header.writeUInt8(kind, 4);
  return Buffer.concat([header, body]);
}

function u32s(...values: number[]): Buffer {
  const body = Buffer.alloc(4 * values.length);
  values.forEach((value, index) => body.writeUInt32BE(value, 4 * index));
  return body;
}

describe('LinkFrameCounter', () => {
  const hello = frame(1, Buffer.from([1, 1, 0, 2, 0x69, 0x6d, 0, 0]));
  const records = frame(2, Buffer.concat([u32s(7, 2), Buffer.alloc(40, 0x61)]));
  const ack = frame(3, u32s(7, 2));
  const emptyRecords = frame(2, u32s(8, 0));
  const stream = Buffer.concat([hello, records, ack, emptyRecords]);
  const expected = [
    ['hello', hello.length, 0],
    ['records', records.length, 2],
    ['ack', 13, 0],
    ['records', 13, 0],
  ];

  function countIn(chunks: Buffer[]): Array<[string, number, number]> {
    const frames: Array<[string, number, number]> = [];
    const counter = new LinkFrameCounter((kind, bytes, carried) => frames.push([kind, bytes, carried]));
    for (const chunk of chunks) counter.feed(chunk);
    return frames;
  }

  it('counts each frame once, by kind, with its bytes and records, whole', () => {
    expect(countIn([stream])).toEqual(expected);
  });

  it('counts the same however the writes split the frames, at every byte', () => {
    for (let split = 1; split < stream.length; split += 1) {
      expect(countIn([stream.subarray(0, split), stream.subarray(split)])).toEqual(expected);
    }
    expect(countIn([...stream].map((byte) => Buffer.from([byte])))).toEqual(expected);
  });

  it('names an unknown kind by its byte', () => {
    expect(countIn([frame(9, Buffer.from([0]))])).toEqual([['kind9', 6, 0]]);
  });
});
