// A real softphone for interop tests: Debian's linphonec (liblinphone, belle-sip) driven over its
// stdin, its SIP log read from stdout. It talks only to 127.0.0.1.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TransportAddress } from '#herald/sip';
import { reportedVersion, requireProgram, SoftphoneProcess } from './softphone-process';

/** The linphonec binary; a missing one throws, naming its Debian package. */
export function requireLinphonec(): string {
  return requireProgram('linphonec', 'linphone-cli');
}

/** What `linphonec -v` reports, e.g. `5.1.65`. */
export function linphonecVersion(path: string): string {
  return reportedVersion(path, ['-v'], /version: (\S+)/);
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
export class Linphone extends SoftphoneProcess {
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
    return new Linphone('linphonec', child, home, `sip:${account.user}@${account.domain}`);
  }

  /**
   * Registers the account. linphonec first listens on IPv6 only, from which belle-sip will not
   * send to 127.0.0.1, and a REGISTER tried then is not retried when the listener changes: so it
   * switches IPv6 off once its prompt is up, waits for the IPv4 listener, and only then registers.
   */
  async register(timeoutMs: number): Promise<void> {
    await this.waitFor(/linphonec> /, timeoutMs);
    const mark = this.log.length;
    this.command('ipv6 disable');
    await this.waitFor(
      /Creating listening point \[\w+\] on \[sip:0\.0\.0\.0:-?\d+;transport=UDP\]/,
      timeoutMs,
      mark,
    );
    this.command('register');
    await this.waitFor(/to \[LinphoneRegistrationOk\]/, timeoutMs, mark);
  }

  command(line: string): void {
    this.writeStdin(line);
  }

  /**
   * The SIP messages linphonec logged (its log at level 6 includes every one): complete once the
   * next log line follows (output arrives in chunks of any size).
   */
  sipMessages(from = 0): string[] {
    const messages = this.log
      .slice(from)
      .match(
        /^(?:[A-Z]+ \S+ SIP\/2\.0|SIP\/2\.0 \d{3}[^\r\n]*)\r\n(?:[^\r\n]+\r\n)*\r\n[\s\S]*?(?=\n\d{4}-\d\d-\d\d )/gm,
      );
    return messages ?? [];
  }

  /** The logged messages and the account's state changes. */
  override summary(): string {
    const states =
      this.log.match(
        /moving from state \[\w+\] to \[\w+\]|No listening point[^\n]*|global state is not on/g,
      ) ?? [];
    return [super.summary(), ...states].join('\n');
  }

  protected requestQuit(): void {
    this.command('quit');
  }
}
