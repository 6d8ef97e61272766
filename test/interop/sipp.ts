// SIPp (Debian sip-tester) for the interop matrix: runs a scenario against Herald over UDP on
// 127.0.0.1 and reads back every message it sent and received (its -trace_msg log).
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseMessage, type SipMessage, type TransportAddress } from '#herald/sip';
import { type ClientRun, reportedVersion, requireClient, runClient } from './client-binary';

export const SIPP_CLIENT = 'SIPp';
/** The scenarios of these tests; the bench's own live in bench/sipp. */
export const SIPP_TEST_SCENARIOS = join(__dirname, 'sipp');
export const SIPP_BENCH_SCENARIOS = join(__dirname, '..', '..', 'bench', 'sipp');
/** SIPp's own limit on a run (-timeout, then it fails): a loaded 2-core machine, a Kafka round trip. */
const SIPP_RUN_SECONDS = 60;

export function requireSipp(): string {
  return requireClient('sipp', 'sip-tester');
}

/** `SIPp v3.6.1-SCTP-PCAP-RTPSTREAM.` -> `3.6.1` (`sipp -v`). */
export function sippVersion(sipp: string): string {
  return reportedVersion(sipp, ['-v'], /SIPp v(\d+(?:\.\d+)+)/);
}

/** One message in SIPp's message log. */
export interface SippMessage {
  direction: 'sent' | 'received';
  message: SipMessage;
}

export interface SippRun extends ClientRun {
  messages: SippMessage[];
}

export interface SippOptions {
  /** Herald's UDP listener. */
  server: TransportAddress;
  domain: string;
  /** Scenario file; `-sf`. */
  scenario: string;
  /** SIPp's own UDP port (`-p`): the flow Herald binds the registration to. */
  localPort: number;
  /** Working directory: the message and error logs go there. */
  work: string;
  /** More arguments (`-inf`, `-oocsf`, `-key`). */
  args?: readonly string[];
}

/** Runs one call of a scenario (`-m 1`) to its end and parses its message log. */
export async function runSipp(sipp: string, options: SippOptions): Promise<SippRun> {
  const messageFile = join(options.work, 'messages.log');
  const run = await runClient(
    sipp,
    [
      `${options.server.address}:${options.server.port}`,
      '-sf',
      options.scenario,
      '-i',
      '127.0.0.1',
      '-p',
      String(options.localPort),
      '-key',
      'domain',
      options.domain,
      '-m',
      '1',
      '-nostdin',
      '-trace_msg',
      '-message_file',
      messageFile,
      '-trace_err',
      '-error_file',
      join(options.work, 'errors.log'),
      '-timeout',
      `${SIPP_RUN_SECONDS}s`,
      '-timeout_error',
      ...(options.args ?? []),
    ],
    { cwd: options.work, timeoutMs: (SIPP_RUN_SECONDS + 30) * 1000 },
  );
  const log = await readFile(messageFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return { ...run, messages: parseSippMessageLog(log) };
}

/**
 * SIPp's -trace_msg log: entries separated by a line of dashes and a timestamp, each `UDP
 * message sent (N bytes):` or `UDP message received [N] bytes :`, a blank line, the message.
 */
export function parseSippMessageLog(log: string): SippMessage[] {
  return log
    .split(/^-{20,}[^\n]*\n/m)
    .filter((entry) => /^UDP message (sent|received)/.test(entry))
    .map((entry) => {
      const direction = entry.startsWith('UDP message sent') ? 'sent' : 'received';
      const text = entry
        .slice(entry.indexOf('\n') + 1)
        .replace(/^\s+/, '')
        .replace(/\r?\n/g, '\r\n');
      // The log adds blank lines after each message: keep the head, and the body Content-Length says.
      const headEnd = text.indexOf('\r\n\r\n');
      const head = headEnd < 0 ? text.trimEnd() : text.slice(0, headEnd);
      const length = Number(/^Content-Length:\s*(\d+)/im.exec(head)?.[1] ?? 0);
      const body = headEnd < 0 ? '' : text.slice(headEnd + 4, headEnd + 4 + length);
      return { direction, message: parseMessage(`${head}\r\n\r\n${body}`) };
    });
}

/**
 * SIPp takes no keyword as a method, so a scenario for INFO and MESSAGE is a template: {{METHOD}}
 * is the method and the line {{INFO_PACKAGE}} becomes `Info-Package: herald` for INFO and goes
 * for MESSAGE. Writes the filled-in copy into `work`.
 */
export async function carrierScenario(template: string, method: 'INFO' | 'MESSAGE', work: string) {
  const text = (await readFile(template, 'utf8'))
    .replace(/\{\{METHOD\}\}/g, method)
    .replace(/^([ \t]*)\{\{INFO_PACKAGE\}\}\r?\n/gm, method === 'INFO' ? '$1Info-Package: herald\n' : '');
  const path = join(work, `${method.toLowerCase()}-scenario.xml`);
  await writeFile(path, text);
  return path;
}

/** The SIPp CSV of one user for `[authentication username=… password=…]` (field1). */
export async function sippUserFile(work: string, user: string, password: string): Promise<string> {
  const path = join(work, 'users.csv');
  await writeFile(path, `SEQUENTIAL\n${user};[authentication username=${user} password=${password}]\n`);
  return path;
}
