import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseMessage } from './parse';
import { SipParseError } from './parse-error';
import { SipMessage } from './sip-message';
import { SipStreamReader } from './stream-reader';
import { LIST_HEADERS, ListHeaderKey, SINGLE_HEADERS, SingleHeaderKey } from './typed-headers';

// Fixed seeds and run counts: a few seconds in CI, the same cases every run.
const SEED = 4475;
const RUNS = 300;
/** Far above a normal parse; only a pathological (quadratic, looping) case gets near it. */
const HANG_MS = 1_000;
const CORPUS = resolve(__dirname, '../../../../../shared/corpora/sip-torture');
const LIMITS = { maxMessageBytes: 4_096, maxHeaders: 40, maxLineBytes: 1_024 };

const corpus = readFileSync(join(CORPUS, 'manifest.tsv'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '' && !line.startsWith('#'))
  .map((line) => readFileSync(join(CORPUS, line.split('\t')[0])));

/** Only SipParseError may escape; anything else fails the property. */
function onlyParseErrors(run: () => void): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof SipParseError)) throw error;
  }
}

function readEverything(message: SipMessage): void {
  for (const key of Object.keys(SINGLE_HEADERS) as SingleHeaderKey[])
    onlyParseErrors(() => message.single(key));
  for (const key of Object.keys(LIST_HEADERS) as ListHeaderKey[]) onlyParseErrors(() => message.list(key));
  if (message.kind === 'request') onlyParseErrors(() => message.requestUri);
}

function timed(run: () => void): void {
  const start = performance.now();
  run();
  expect(performance.now() - start).toBeLessThan(HANG_MS);
}

type Mutation = { at: number; kind: 'flip' | 'insert' | 'delete'; byte: number };

const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom<Mutation['kind']>('flip', 'insert', 'delete'),
  // Bias towards the bytes SIP syntax hinges on.
  byte: fc.oneof(
    fc.constantFrom(13, 10, 32, 9, 58, 59, 44, 34, 60, 62, 92, 64, 0),
    fc.integer({ min: 0, max: 255 }),
  ),
});

function mutate(source: Buffer, mutations: Mutation[]): Buffer {
  const bytes = [...source];
  for (const m of mutations) {
    const at = m.at % (bytes.length + 1);
    if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
    else if (m.kind === 'delete') bytes.splice(at, 1);
    else if (at < bytes.length) bytes[at] = m.byte;
  }
  return Buffer.from(bytes);
}

const mutatedMessage = fc
  .tuple(fc.integer({ min: 0, max: corpus.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([index, mutations]) => mutate(corpus[index], mutations));

describe('parser fuzzing', () => {
  it('random bytes: parseMessage returns a message or throws SipParseError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3_000 }), (bytes) => {
        timed(() => onlyParseErrors(() => readEverything(parseMessage(Buffer.from(bytes), LIMITS))));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('mutated torture messages: parse and every accessor throw nothing but SipParseError', () => {
    fc.assert(
      fc.property(mutatedMessage, (bytes) => {
        timed(() => onlyParseErrors(() => readEverything(parseMessage(bytes))));
      }),
      { seed: SEED, numRuns: RUNS * 2 },
    );
  });

  it('stream reader: split mutated streams, bounded buffering, only SipParseError', () => {
    const chunking = fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 });
    fc.assert(
      fc.property(fc.array(mutatedMessage, { minLength: 1, maxLength: 4 }), chunking, (messages, sizes) => {
        const stream = Buffer.concat(messages);
        const reader = new SipStreamReader(
          { onMessage: readEverything, onKeepAlivePing: () => undefined, onInvalidMessage: () => undefined },
          LIMITS,
        );
        timed(() =>
          onlyParseErrors(() => {
            for (let at = 0, i = 0; at < stream.length; i++) {
              const size = sizes[i % sizes.length];
              reader.push(stream.subarray(at, at + size));
              at += size;
              expect(reader.bufferedBytes).toBeLessThanOrEqual(LIMITS.maxMessageBytes);
            }
          }),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
