// A recording Flow for the transaction layer's unit specs; outside src/, so never built into dist.
import { Flow } from '../src/transport';
import { TransportError } from '../src/transport';
import { FakeClock } from '../src/transaction/clock';

export class RecordingFlow implements Flow {
  readonly id: string;
  readonly local = { address: '127.0.0.1', port: 5060 };
  readonly remote = { address: '127.0.0.1', port: 5070 };
  /** Fake-clock times at which something was sent, with what. */
  readonly sent: { at: number; data: string }[] = [];
  failSends = false;

  constructor(
    private readonly clock: FakeClock,
    readonly reliable: boolean,
  ) {
    this.id = reliable ? 'tcp:1' : 'udp:5060:127.0.0.1:5070';
  }

  get protocol(): 'tcp' | 'udp' {
    return this.reliable ? 'tcp' : 'udp';
  }

  isOpen(): boolean {
    return !this.failSends;
  }

  send(data: Buffer): Promise<void> {
    if (this.failSends) return Promise.reject(new TransportError('flow-closed', 'closed'));
    this.sent.push({ at: this.clock.now(), data: data.toString() });
    return Promise.resolve();
  }
}
