import { Flow } from '../transport';
import { Clock, TimerHandle } from './clock';
import { TransactionTimers } from './timers';
import { TransactionError } from './transaction-error';

/** States of RFC 3261 §17.2.2 figure 8. */
export type NonInviteServerState = 'trying' | 'proceeding' | 'completed' | 'terminated';

export interface NonInviteServerOptions {
  /** Server transaction key (RFC 3261 §17.2.3). */
  key: string;
  /** Where responses go: Via received/rport for UDP, the same connection otherwise (§18.2.2). */
  responseFlow: Flow;
  clock: Clock;
  timers: TransactionTimers;
  onTerminated?: (key: string) => void;
  /** A response could not be sent (§17.2.4), or the TU never answered; the transaction is terminated. */
  onFailure?: (error: Error) => void;
}

/** RFC 4320 §4.1: a non-INVITE request is never answered with 408. */
const FORBIDDEN_NON_INVITE_TIMEOUT = 408;
const TRYING = 100;

/**
 * Non-INVITE server transaction (RFC 3261 §17.2.2, RFC 4320). The layer hands the request up once;
 * retransmissions are absorbed here and answered with the last response sent.
 */
export class NonInviteServerTransaction {
  readonly key: string;
  private currentState: NonInviteServerState = 'trying';
  private lastResponse: Buffer | undefined;
  private timerJ: TimerHandle | undefined;
  private readonly unansweredTimer: TimerHandle;

  constructor(private readonly options: NonInviteServerOptions) {
    this.key = options.key;
    // RFC 3261 §17.1.2.2: the client gives up after Timer F (64*T1); a request the TU never answered
    // by then is forgotten, so a silent TU cannot grow the transaction table without bound.
    this.unansweredTimer = options.clock.setTimer(options.timers.timeoutMs, () => this.abandon());
  }

  get state(): NonInviteServerState {
    return this.currentState;
  }

  /**
   * §17.2.2: a retransmitted request in Trying is discarded; in Proceeding and Completed the most
   * recent response is sent again.
   */
  receiveRetransmission(): void {
    if (
      (this.currentState === 'proceeding' || this.currentState === 'completed') &&
      this.lastResponse !== undefined
    ) {
      this.send(this.lastResponse);
    }
  }

  /** The TU answers: 1xx moves to Proceeding, 2xx-6xx to Completed with Timer J (§17.2.2). */
  respond(statusCode: number, response: Buffer): void {
    if (this.currentState === 'completed' || this.currentState === 'terminated') {
      // §17.2.2: any other final response from the TU in Completed is discarded; we say so loudly.
      throw new TransactionError('transaction-terminated', `transaction ${this.key} already answered`);
    }
    // RFC 4320 §4.1: no 408 and no provisional other than 100 for a non-INVITE request.
    if (statusCode === FORBIDDEN_NON_INVITE_TIMEOUT || (statusCode < 200 && statusCode !== TRYING)) {
      throw new TransactionError(
        'response-not-allowed',
        `status ${statusCode} is not allowed for a non-INVITE request`,
      );
    }
    this.lastResponse = response;
    this.options.clock.clearTimer(this.unansweredTimer);
    if (statusCode < 200) {
      this.currentState = 'proceeding';
      this.send(response);
      return;
    }
    this.currentState = 'completed';
    this.send(response);
    // §17.2.2: Timer J is 64*T1 for unreliable transports, zero for reliable ones.
    const timerJ = this.options.responseFlow.reliable ? 0 : this.options.timers.timeoutMs;
    this.timerJ = this.options.clock.setTimer(timerJ, () => this.terminate());
  }

  /**
   * The layer stopped: no retransmission can arrive and no response can leave any more, so the
   * transaction ends now with its timers (Timer J would hold a stopped process open for 64*T1).
   */
  close(): void {
    this.terminate();
  }

  private send(response: Buffer): void {
    this.options.responseFlow.send(response).catch((error: Error) => {
      // §17.2.4: the transport failed; inform the TU and terminate.
      this.options.onFailure?.(error);
      this.terminate();
    });
  }

  private abandon(): void {
    if (this.currentState !== 'trying' && this.currentState !== 'proceeding') return;
    this.options.onFailure?.(
      new TransactionError('unanswered', `transaction ${this.key} got no final response from its TU`),
    );
    this.terminate();
  }

  private terminate(): void {
    if (this.currentState === 'terminated') return;
    this.currentState = 'terminated';
    this.options.clock.clearTimer(this.unansweredTimer);
    if (this.timerJ !== undefined) this.options.clock.clearTimer(this.timerJ);
    this.options.onTerminated?.(this.key);
  }
}
