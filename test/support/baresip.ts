// A real softphone for interop tests: Debian's baresip (libre), configured in its own directory,
// driven through its ctrl_tcp module (JSON netstring commands), its SIP trace (-s) read from
// stdout. It listens and talks only on 127.0.0.1.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportAddress } from '#herald/sip';
import { freeTcpPort } from './free-port';
import {
  ANSI_ESCAPE,
  reportedVersion,
  requireProgram,
  SoftphoneError,
  SoftphoneProcess,
} from './softphone-process';

const MODULE_PATH = '/usr/lib/baresip/modules';
/** How long a ctrl_tcp command may take to be answered. */
const COMMAND_TIMEOUT_MS = 10_000;

/** The baresip binary; a missing one throws, naming its Debian package. */
export function requireBaresip(): string {
  return requireProgram('baresip', 'baresip-core');
}

/** What baresip's banner reports, e.g. `1.0.0`. */
export function baresipVersion(path: string): string {
  return reportedVersion(path, ['-h'], /^baresip v(\S+)/m);
}

export interface BaresipAccount {
  user: string;
  password: string;
  domain: string;
  /** Herald's UDP listener: the outbound proxy. */
  proxy: TransportAddress;
  /** AORs in its address book; the presence module SUBSCRIBEs to each once loaded. */
  contacts?: string[];
}

/** The outcome of baresip's first registration attempt. */
export type RegistrationOutcome = { registered: true } | { registered: false; error: string };

interface CtrlResponse {
  response: true;
  ok: boolean;
  data: string;
  token: string;
}

/** One baresip process with one account, registering over UDP through Herald at start. */
export class Baresip extends SoftphoneProcess {
  private ctrl: Socket | undefined;
  private ctrlInput = '';
  private commandNumber = 0;
  private readonly answers = new Map<string, (response: CtrlResponse) => void>();

  private constructor(
    child: ChildProcessWithoutNullStreams,
    home: string,
    aor: string,
    private readonly ctrlPort: number,
  ) {
    super('baresip', child, home, aor);
  }

  static async start(binary: string, account: BaresipAccount): Promise<Baresip> {
    const home = await mkdtemp(join(tmpdir(), 'herald-baresip-'));
    const ctrlPort = await freeTcpPort();
    const proxy = `sip:${account.proxy.address}:${account.proxy.port};transport=udp`;
    await writeFile(
      join(home, 'config'),
      [
        'poll_method epoll',
        // Port 0: the kernel picks a free one.
        'sip_listen 127.0.0.1:0',
        `module_path ${MODULE_PATH}`,
        'module_app account.so',
        'module_app contact.so',
        'module_app menu.so',
        // presence.so is loaded by startPresence(), once registered: loaded at start it would
        // PUBLISH and SUBSCRIBE on a flow Herald has not registered yet.
        'module ctrl_tcp.so',
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        '',
      ].join('\n'),
    );
    // pubint: the presence module PUBLISHes the account's status, refreshed every 600 s.
    await writeFile(
      join(home, 'accounts'),
      `<sip:${account.user}@${account.domain}>;auth_pass=${account.password};outbound="${proxy}";regint=600;pubint=600\n`,
    );
    await writeFile(
      join(home, 'contacts'),
      (account.contacts ?? []).map((aor) => `<${aor}>;presence=p2p\n`).join(''),
    );
    const child = spawn(binary, ['-f', home, '-s', '-4'], { env: { ...process.env, HOME: home } });
    return new Baresip(child, home, `sip:${account.user}@${account.domain}`, ctrlPort);
  }

  /** The result of its first REGISTER: 200, or the error libre reported (e.g. an unsupported challenge). */
  async registration(timeoutMs: number): Promise<RegistrationOutcome> {
    const outcome = await this.waitFor(
      /(\nSIP\/2\.0 200 [^\n]*\n(?:[^\n]+\n)*?CSeq: \d+ REGISTER)|reg: \S+: Register: ([^\n]+)/,
      timeoutMs,
    );
    return outcome[2] === undefined ? { registered: true } : { registered: false, error: outcome[2].trim() };
  }

  /** Loads the presence module: it PUBLISHes the account's presence and SUBSCRIBEs to each contact. */
  async startPresence(): Promise<void> {
    await this.command('insmod', 'presence');
  }

  /**
   * Waits until its address book (`/contacts`) shows `aor` as `status` (Online, Offline, Busy):
   * what baresip made of the NOTIFYs of its subscription. Looks again at each output of baresip
   * (a NOTIFY arrives in its SIP trace).
   */
  async waitForContactPresence(aor: string, status: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const listing = (await this.command('contacts')).replace(ANSI_ESCAPE, '');
      const line = listing.split('\n').find((entry) => entry.includes(`<${aor}>`));
      // e.g. `>      Online  <sip:alice@D>`, `>` marking the current contact.
      if (line !== undefined && /\b(Unknown|Online|Offline|Busy)\b/.exec(line)?.[1] === status) return;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new SoftphoneError(
          'SOFTPHONE_TIMEOUT',
          `baresip did not show ${aor} ${status} in ${timeoutMs} ms; its contacts:\n${listing}`,
        );
      await this.nextOutput(left);
    }
  }

  /** Runs one ctrl_tcp command (a menu command's name, without the slash) and expects it to succeed. */
  async command(name: string, params = ''): Promise<string> {
    const socket = this.ctrl ?? (await this.connectCtrl());
    this.commandNumber += 1;
    const token = `t${this.commandNumber}`;
    const json = JSON.stringify({ command: name, params, token });
    const answered = new Promise<CtrlResponse>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.answers.delete(token);
        reject(
          new SoftphoneError(
            'SOFTPHONE_TIMEOUT',
            `baresip did not answer /${name} in ${COMMAND_TIMEOUT_MS} ms`,
          ),
        );
      }, COMMAND_TIMEOUT_MS);
      this.answers.set(token, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
    });
    socket.write(`${Buffer.byteLength(json)}:${json},`);
    const response = await answered;
    if (!response.ok)
      throw new SoftphoneError('SOFTPHONE_SCENARIO_FAILED', `baresip refused /${name}: ${response.data}`);
    return response.data;
  }

  /** The SIP messages of its trace (-s): each follows a line `UDP <from> -> <to>`. */
  sipMessages(from = 0): string[] {
    // Lines of a message end in CRLF, except a body's last line when the body has no final CRLF;
    // the colour reset after it (removed from the log) leaves a bare LF.
    const trace = /^(?:UDP|TCP) \S+ -> \S+\n((?:[^\n]*\r\n)*[^\r\n]*)\n/gm;
    return [...this.log.slice(from).matchAll(trace)].map((match) => match[1] ?? '');
  }

  protected requestQuit(): void {
    this.ctrl?.destroy();
    // SIGTERM: baresip unregisters and exits.
    this.signal('SIGTERM');
  }

  private async connectCtrl(): Promise<Socket> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const attempt = connect(this.ctrlPort, '127.0.0.1');
      attempt.once('connect', () => resolve(attempt));
      attempt.once('error', reject);
    });
    socket.on('data', (chunk: Buffer) => this.receiveCtrl(chunk.toString('utf8')));
    this.ctrl = socket;
    return socket;
  }

  /** Netstrings `<length>:<json>,`: command responses settle their waiter; events are in the log. */
  private receiveCtrl(text: string): void {
    this.ctrlInput += text;
    for (;;) {
      const colon = this.ctrlInput.indexOf(':');
      if (colon < 0) return;
      const length = Number(this.ctrlInput.slice(0, colon));
      if (this.ctrlInput.length < colon + 1 + length + 1) return;
      const payload = JSON.parse(
        this.ctrlInput.slice(colon + 1, colon + 1 + length),
      ) as Partial<CtrlResponse>;
      this.ctrlInput = this.ctrlInput.slice(colon + 1 + length + 1);
      if (payload.response === true && payload.token !== undefined) {
        this.answers.get(payload.token)?.(payload as CtrlResponse);
        this.answers.delete(payload.token);
      }
    }
  }
}
