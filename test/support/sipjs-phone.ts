// SIP.js (npm `sip.js`) as a WebPhone: a SIP.js UserAgent, Registerer and Messager over its web
// transport, which uses Node's global WebSocket.
import { Messager, Registerer, UserAgent } from 'sip.js';
import {
  npmPackageVersion,
  type ReceivedWebMessage,
  type WebPhone,
  type WebPhoneAccount,
  type WebPhoneLibrary,
  wsUrl,
} from './web-phone';

class SipJsPhone implements WebPhone {
  readonly aor: string;
  readonly received: ReceivedWebMessage[] = [];
  private readonly userAgent: UserAgent;
  private readonly registerer: Registerer;
  private readonly started: Promise<void>;

  constructor(account: WebPhoneAccount) {
    this.aor = `sip:${account.user}@${account.domain}`;
    this.userAgent = new UserAgent({
      uri: this.uri(this.aor),
      transportOptions: { server: wsUrl(account.server) },
      authorizationUsername: account.user,
      authorizationPassword: account.password,
      logLevel: 'error',
      delegate: {
        onMessage: (message) => {
          this.received.push({
            from: message.request.from.uri.toString(),
            contentType: message.request.getHeader('Content-Type') ?? '',
            body: message.request.body,
          });
          void message.accept();
        },
      },
    });
    this.registerer = new Registerer(this.userAgent);
    this.started = this.userAgent.start();
  }

  async register(): ReturnType<WebPhone['register']> {
    await this.started;
    return new Promise((resolve, reject) => {
      this.registerer
        .register({
          requestDelegate: {
            onAccept: () => resolve({ registered: true }),
            onReject: (response) => resolve({ registered: false, status: response.message.statusCode ?? 0 }),
          },
        })
        .catch(reject);
    });
  }

  async message(target: string, body: string, contentType: string): Promise<number> {
    await this.started;
    return new Promise((resolve, reject) => {
      new Messager(this.userAgent, this.uri(target), body, contentType)
        .message({
          requestDelegate: {
            onAccept: (response) => resolve(response.message.statusCode ?? 0),
            onReject: (response) => resolve(response.message.statusCode ?? 0),
          },
        })
        .catch(reject);
    });
  }

  async stop(): Promise<void> {
    await this.userAgent.stop();
  }

  private uri(text: string) {
    const uri = UserAgent.makeURI(text);
    if (uri === undefined) throw new Error(`SIP.js cannot parse ${text}`);
    return uri;
  }
}

export const SIPJS: WebPhoneLibrary = {
  client: 'SIP.js',
  version: npmPackageVersion('sip.js'),
  open: (account) => new SipJsPhone(account),
};
