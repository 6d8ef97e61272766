// A real softphone for interop tests: Debian's linphonec (liblinphone, belle-sip) driven over its
// stdin, its SIP log read from stdout. It talks only to 127.0.0.1.
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportAddress } from '#herald/sip';

/** How long linphonec gets to quit before it is killed. */
const QUIT_GRACE_MS = 5_000;

export class LinphoneError extends Error {
  constructor(
    readonly code: 'LINPHONE_TIMEOUT' | 'LINPHONE_EXITED' | 'LINPHONE_SCENARIO_FAILED',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'LinphoneError';
  }
}

/** The linphonec binary, or undefined with the reason it cannot run here. */
export function findLinphonec(): { path: string } | { missing: string } {
  const which = spawnSync('which', ['linphonec'], { encoding: 'utf8' });
  const path = which.stdout.trim();
  return which.status === 0 && path.length > 0
    ? { path }
    : { missing: 'linphonec is not installed (Debian package linphone-cli)' };
}

export interface LinphoneAccount {
  user: string;
  password: string;
  domain: string;
  /** Herald's UDP listener: the outbound proxy. */
  proxy: TransportAddress;
  /** Also PUBLISH presence (RFC 3903) after registering. */
  publish?: boolean;
}

/** One linphonec process with one account, registered over UDP through Herald. */
export class Linphone {
  private output = '';
  private readonly waiters = new Set<() => void>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly home: string,
    readonly aor: string,
  ) {
    const append = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      for (const wake of [...this.waiters]) wake();
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    child.once('exit', () => {
      this.exited = true;
      for (const wake of [...this.waiters]) wake();
    });
  }

  static async start(binary: string, account: LinphoneAccount): Promise<Linphone> {
    const home = await mkdtemp(join(tmpdir(), 'herald-linphone-'));
    const proxy = `sip:${account.proxy.address}:${account.proxy.port};transport=udp`;
    const config = [
      '[sip]',
      // Random: linphonec picks and binds its port itself (one picked here could be taken meanwhile).
      'sip_port=-1',
      'sip_tcp_port=0',
      'sip_tls_port=0',
      'use_ipv6=0',
      'default_proxy=0',
      'register_only_when_network_is_up=0',
      '',
      '[proxy_0]',
      `reg_proxy=<${proxy}>`,
      `reg_route=<${proxy};lr>`,
      `reg_identity=sip:${account.user}@${account.domain}`,
      'reg_expires=600',
      // Registered by register(), once it listens on IPv4.
      'reg_sendregister=0',
      `publish=${account.publish === true ? 1 : 0}`,
      '',
      '[auth_info_0]',
      `username=${account.user}`,
      `passwd=${account.password}`,
      `realm=${account.domain}`,
      `domain=${account.domain}`,
      '',
    ].join('\n');
    const rc = join(home, 'linphonerc');
    await writeFile(rc, config);
    // Its chat database: without it the core never reaches GlobalOn and refuses MESSAGE with 503.
    await mkdir(join(home, '.local', 'share', 'linphone'), { recursive: true });
    const child = spawn(binary, ['-c', rc, '-d', '6'], { env: { ...process.env, HOME: home } });
    return new Linphone(child, home, `sip:${account.user}@${account.domain}`);
  }

  /**
   * Registers the account. linphonec first listens on IPv6 only, from which belle-sip will not
   * send to 127.0.0.1, and a REGISTER tried then is not retried when the listener changes: so it
   * switches IPv6 off once its prompt is up, waits for the IPv4 listener, and only then registers.
   */
  async register(timeoutMs: number): Promise<void> {
    await this.waitFor(/linphonec> /, timeoutMs);
    const mark = this.output.length;
    this.command('ipv6 disable');
    await this.waitFor(
      /Creating listening point \[\w+\] on \[sip:0\.0\.0\.0:-?\d+;transport=UDP\]/,
      timeoutMs,
      mark,
    );
    this.command('register');
    await this.waitFor(/to \[LinphoneRegistrationOk\]/, timeoutMs, mark);
  }

  /** Everything linphonec printed so far (its log at level 6 includes every SIP message). */
  get log(): string {
    return this.output;
  }

  command(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /**
   * The SIP messages linphonec logged from output offset `from` on, each its start line, headers
   * and body: complete once the next log line follows (output arrives in chunks of any size).
   */
  sipMessages(from = 0): string[] {
    const messages = this.output
      .slice(from)
      .match(
        /^(?:[A-Z]+ \S+ SIP\/2\.0|SIP\/2\.0 \d{3}[^\r\n]*)\r\n(?:[^\r\n]+\r\n)*\r\n[\s\S]*?(?=\n\d{4}-\d\d-\d\d )/gm,
      );
    return messages ?? [];
  }

  /** Each logged SIP message in one line (start line and CSeq), and the account's state changes: for failures. */
  summary(): string {
    const messages = this.sipMessages().map(
      (m) => `${m.split('\r\n')[0]} (${/\r\nCSeq: ([^\r\n]+)/.exec(m)?.[1] ?? ''})`,
    );
    const states =
      this.output.match(
        /moving from state \[\w+\] to \[\w+\]|No listening point[^\n]*|global state is not on/g,
      ) ?? [];
    return [...messages, ...states].join('\n');
  }

  /** Runs `work`; a failure carries what linphonec saw, so it can be told from a Herald fault. */
  async explainFailures<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new LinphoneError('LINPHONE_SCENARIO_FAILED', `${message}\nlinphonec saw:\n${this.summary()}`, {
        cause: error,
      });
    }
  }

  /** Resolves with the first logged SIP message from `from` on that `matches`. */
  async waitForMessage(matches: (message: string) => boolean, timeoutMs: number, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.sipMessages(from).find(matches);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new LinphoneError(
          'LINPHONE_TIMEOUT',
          `no matching SIP message from linphonec in ${timeoutMs} ms`,
        );
      await this.nextOutput(left);
    }
  }

  /** Resolves with the first match of `pattern` in the output from `from` on. */
  async waitFor(pattern: RegExp, timeoutMs: number, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.output.slice(from));
      if (match !== null) return match;
      if (this.exited) throw new LinphoneError('LINPHONE_EXITED', `linphonec exited before ${pattern}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new LinphoneError('LINPHONE_TIMEOUT', `no ${pattern} from linphonec in ${timeoutMs} ms`);
      await this.nextOutput(left);
    }
  }

  /** Resolves at the next output or exit of linphonec, or after `timeoutMs`. */
  private nextOutput(timeoutMs: number): Promise<void> {
    if (this.exited) throw new LinphoneError('LINPHONE_EXITED', 'linphonec exited');
    return new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.waiters.add(wake);
    });
  }

  /** Quits (linphonec unregisters), kills it if it does not exit in time, removes its home. */
  async stop(): Promise<void> {
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.command('quit');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), QUIT_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    await rm(this.home, { recursive: true, force: true });
  }
}
