// JsSIP (npm `jssip`) as a WebPhone: a JsSIP UA over Node's global WebSocket.
import * as JsSIP from 'jssip';
import type { IncomingMessageEvent, OutgoingMessageEvent } from 'jssip/lib/UA';
import {
  npmPackageVersion,
  type ReceivedWebMessage,
  type WebPhone,
  type WebPhoneAccount,
  type WebPhoneLibrary,
  wsUrl,
} from './web-phone';

class JsSipPhone implements WebPhone {
  readonly aor: string;
  readonly received: ReceivedWebMessage[] = [];
  private readonly ua: JsSIP.UA;
  private readonly connected: Promise<void>;

  constructor(account: WebPhoneAccount) {
    this.aor = `sip:${account.user}@${account.domain}`;
    this.ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(wsUrl(account.server))],
      uri: this.aor,
      password: account.password,
      register: false,
    });
    this.ua.on('newMessage', (event: IncomingMessageEvent | OutgoingMessageEvent) => {
      if (event.originator !== 'remote') return;
      // JsSIP answers 200 itself once the listeners ran.
      this.received.push({
        from: event.request.from.uri.toString(),
        contentType: event.request.getHeader('Content-Type'),
        body: event.request.body,
      });
    });
    this.connected = new Promise((resolve) => this.ua.once('connected', () => resolve()));
    this.ua.start();
  }

  async register(): ReturnType<WebPhone['register']> {
    // A REGISTER sent before the WebSocket is open fails at once (JsSIP does not queue it).
    await this.connected;
    return new Promise((resolve) => {
      this.ua.once('registered', () => resolve({ registered: true }));
      this.ua.once('registrationFailed', (event) =>
        resolve({ registered: false, status: event.response?.status_code ?? 0 }),
      );
      this.ua.register();
    });
  }

  async message(target: string, body: string, contentType: string): Promise<number> {
    await this.connected;
    return new Promise((resolve) => {
      this.ua.sendMessage(target, body, {
        contentType,
        eventHandlers: {
          succeeded: (event) => resolve(event.response.status_code),
          failed: (event) => resolve(event.response?.status_code ?? 0),
        },
      });
    });
  }

  async stop(): Promise<void> {
    const disconnected = new Promise<void>((resolve) => this.ua.once('disconnected', () => resolve()));
    this.ua.stop();
    await disconnected;
  }
}

export const JSSIP: WebPhoneLibrary = {
  client: 'JsSIP',
  version: npmPackageVersion('jssip'),
  open: (account) => new JsSipPhone(account),
};
