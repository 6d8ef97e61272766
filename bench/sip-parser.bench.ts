// Throughput of the SIP message parser and serializer (not a test), in messages per CPU second on one
// core. See bench/README.md to run it.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createResponse,
  parseMessage,
  serializeMessage,
  SipMessage,
  SipParseError,
} from '../libs/sip/src/message';

/** Each measurement runs this long after warm-up. */
const MEASURE_MS = 1_500;
const WARMUP_ITERATIONS = 20_000;
const BATCH = 1_000;
const CORPUS = resolve(__dirname, '../../../shared/corpora/sip-torture');

const REGISTER = [
  'REGISTER sip:herald.example SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5070;rport;branch=z9hG4bK-524287-1---a2f1c9d7e03b4f6a',
  'Max-Forwards: 70',
  'Contact: <sip:alice@192.0.2.10:5070;transport=udp>;expires=3600;+sip.instance="<urn:uuid:6f1f6a52-0f2b-4d1f-9a53-1c1b3f0f1c11>"',
  'To: <sip:alice@herald.example>',
  'From: "Alice" <sip:alice@herald.example>;tag=4a6c0e1b',
  'Call-ID: 5cb3a0b6d1f54d0c8a3b2f0e9d7c6b5a',
  'CSeq: 2 REGISTER',
  'Expires: 3600',
  'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE',
  'Supported: replaces, outbound, gruu',
  'User-Agent: Herald-Bench/1.0',
  'Authorization: Digest username="alice",realm="herald.example",nonce="MTcwMDAwMDAwMDpmOWQ4ZTdjNmI1YTQ",uri="sip:herald.example",response="7d1c4f6f2e0b8a9c3d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4",algorithm=SHA-256,cnonce="0a4f113b",qop=auth,nc=00000001',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

const INFO_BODY =
  '{"v":1,"id":"c-42","type":"im.send","to":"sip:bob@herald.example","text":"Hello Bob, lunch at noon?"}';
const INFO = [
  'INFO sip:herald.example SIP/2.0',
  'Via: SIP/2.0/UDP 192.0.2.10:5070;rport;branch=z9hG4bK-a1b2c3d4',
  'Max-Forwards: 70',
  'From: <sip:alice@herald.example>;tag=a7',
  'To: <sip:herald.example>',
  'Call-ID: 8f2c1e@192.0.2.10',
  'CSeq: 7 INFO',
  'Info-Package: herald',
  'Content-Type: application/vnd.herald+json',
  `Content-Length: ${Buffer.byteLength(INFO_BODY)}`,
  '',
  INFO_BODY,
].join('\r\n');

const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 192.0.2.10:5070;rport=5070;received=192.0.2.10;branch=z9hG4bK-a1b2c3d4',
  'From: <sip:alice@herald.example>;tag=a7',
  'To: <sip:herald.example>;tag=9fe1c3a0',
  'Call-ID: 8f2c1e@192.0.2.10',
  'CSeq: 7 INFO',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

/** CPU microseconds this process has used; measuring CPU time, not wall time, keeps other load out. */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Operations per second of CPU time on one core. */
function perSecond(run: () => void): number {
  for (let i = 0; i < WARMUP_ITERATIONS; i++) run();
  let count = 0;
  const start = cpuMicros();
  let elapsed = 0;
  while (elapsed < MEASURE_MS * 1_000) {
    for (let i = 0; i < BATCH; i++) run();
    count += BATCH;
    elapsed = cpuMicros() - start;
  }
  return Math.round((count * 1e6) / elapsed);
}

/** Every I-class torture message must still be rejected by the parser being measured. */
function checkRejections(): number {
  const invalid = readFileSync(join(CORPUS, 'manifest.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.split('\t')[1] === 'I')
    .map((line) => line.split('\t')[0]);
  for (const path of invalid) {
    try {
      parseMessage(readFileSync(join(CORPUS, path)));
    } catch (error) {
      if (error instanceof SipParseError) continue;
      throw error;
    }
    throw new Error(`invalid message accepted: ${path}`);
  }
  return invalid.length;
}

function machine(): string {
  const model =
    /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  return `${model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, load average ${load}`;
}

function main(): void {
  console.log(`machine: ${machine()}`);
  console.log(`invalid torture messages rejected: ${checkRejections()}`);
  const samples: Array<[string, string]> = [
    ['REGISTER + Authorization', REGISTER],
    ['INFO + JSON body', INFO],
    ['200 OK', OK],
  ];
  for (const [name, text] of samples) {
    const bytes = Buffer.from(text);
    const parsed: SipMessage = parseMessage(bytes);
    const parse = perSecond(() => parseMessage(bytes));
    const serialize = perSecond(() => serializeMessage(parsed));
    console.log(
      `${name.padEnd(26)} ${bytes.length} B  parse ${parse.toLocaleString('en')} msg/s  serialize ${serialize.toLocaleString('en')} msg/s`,
    );
  }
  const info = parseMessage(Buffer.from(INFO));
  if (info.kind !== 'request') throw new Error('INFO sample is not a request');
  const respond = perSecond(() => serializeMessage(createResponse(info, 200, { toTag: 'a1' })));
  console.log(
    `${'createResponse(INFO) 200'.padEnd(26)} build+serialize ${respond.toLocaleString('en')} msg/s`,
  );
}

main();
