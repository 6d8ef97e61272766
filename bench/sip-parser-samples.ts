// The three typical messages the parser benchmarks measure (shared by the rate and the
// instruction-count benchmarks so both always measure the same bytes).

export const REGISTER = [
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

export const INFO_BODY =
  '{"v":1,"id":"c-42","type":"im.send","to":"sip:bob@herald.example","text":"Hello Bob, lunch at noon?"}';
export const INFO = [
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

export const OK = [
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

/** Name and text of each typical message, in report order. */
export const SAMPLES: ReadonlyArray<readonly [string, string]> = [
  ['REGISTER + Authorization', REGISTER],
  ['INFO + JSON body', INFO],
  ['200 OK', OK],
];
