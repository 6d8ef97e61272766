import { Flow, TransportError } from '../transport';
import { Clock, TimerHandle } from './clock';
import { TransactionTimers } from './timers';

/** States of RFC 3261 §17.1.2.2 figure 6. */
export type NonInviteClientState = 'trying' | 'proceeding' | 'completed' | 'terminated';

/** How a client transaction ended, as reported to its transaction user. */
export type ClientTransactionOutcome<Response> =
  | { kind: 'answered'; statusCode: number; response: Response }
  | { kind: 'timed-out' }
  | { kind: 'transport-error'; error: Error };

export interface NonInviteClientOptions<Response> {
  /** Top Via branch plus CSeq method (RFC 3261 §17.1.3). */
  key: string;
  flow: Flow;
  request: Buffer;
  clock: Clock;
  timers: TransactionTimers;
  onProvisional?: (statusCode: number, response: Response) => void;
  /** Timer E sent the request again (UDP): for a retransmission counter. */
  onRetransmit?: () => void;
  /** Called once the transaction reached Terminated, so the layer forgets it. */
  onTerminated?: (key: string) => void;
}

/** Non-INVITE client transaction (RFC 3261 §17.1.2, with RFC 4320 unchanged client rules). */
export class NonInviteClientTransaction<Response> {
  readonly key: string;
  readonly outcome: Promise<ClientTransactionOutcome<Response>>;
  private currentState: NonInviteClientState = 'trying';
  private resolveOutcome: (outcome: ClientTransactionOutcome<Response>) => void = () => undefined;
  private timerE: TimerHandle | undefined;
  private timerF: TimerHandle | undefined;
  private timerK: TimerHandle | undefined;
  private retransmitIntervalMs: number;
  /** When Timer E is due by the §17.1.2.2 schedule, counted from the first send. */
  private timerEDueAt = 0;
  private retransmissions = 0;

  constructor(private readonly options: NonInviteClientOptions<Response>) {
    this.key = options.key;
    this.retransmitIntervalMs = options.timers.t1Ms;
    this.outcome = new Promise((resolve) => {
      this.resolveOutcome = resolve;
    });
  }

  get state(): NonInviteClientState {
    return this.currentState;
  }

  /** §17.1.2.2: enter Trying, send the request, start Timer F and (unreliable only) Timer E at T1. */
  start(): void {
    const { clock, timers, flow } = this.options;
    this.timerF = clock.setTimer(timers.timeoutMs, () => this.onTimerF());
    if (!flow.reliable) {
      this.timerEDueAt = clock.now();
      this.scheduleTimerE();
    }
    this.transmit();
  }

  /** A response matched to this transaction (§17.1.3). */
  receiveResponse(statusCode: number, response: Response): void {
    if (this.currentState === 'completed' || this.currentState === 'terminated') return; // §17.1.2.2: absorbed
    if (statusCode < 200) {
      // §17.1.2.2: a provisional response moves Trying to Proceeding and goes to the TU.
      this.currentState = 'proceeding';
      this.options.onProvisional?.(statusCode, response);
      return;
    }
    // §17.1.2.2: a final response moves to Completed, goes to the TU, and starts Timer K
    // (T4 over unreliable transports, zero over reliable ones).
    this.currentState = 'completed';
    this.clear(this.timerE);
    this.clear(this.timerF);
    this.resolveOutcome({ kind: 'answered', statusCode, response });
    const timerK = this.options.flow.reliable ? 0 : this.options.timers.t4Ms;
    this.timerK = this.options.clock.setTimer(timerK, () => this.terminate());
  }

  /**
   * Timer E is set for the next slot of the schedule (+T1, +3T1, +7T1 … from the first send), not
   * for an interval from the moment the last one fired: an event loop that runs a timer late then
   * delays one retransmission instead of shifting all later ones, so the last retransmission still
   * comes before Timer F.
   */
  private scheduleTimerE(): void {
    const { clock } = this.options;
    this.timerEDueAt += this.retransmitIntervalMs;
    const delayMs = Math.max(0, this.timerEDueAt - clock.now());
    this.timerE = clock.setTimer(delayMs, () => this.onTimerE());
  }

  /**
   * §17.1.2.2: Timer E retransmits; in Trying its interval doubles up to T2, in Proceeding it
   * stays at T2. The configured retry limit stops retransmitting, Timer F still ends the wait.
   */
  private onTimerE(): void {
    if (this.retransmissions >= this.options.timers.maxRetransmissions) return;
    this.retransmissions++;
    this.transmit();
    this.options.onRetransmit?.();
    const { t2Ms } = this.options.timers;
    this.retransmitIntervalMs =
      this.currentState === 'proceeding' ? t2Ms : Math.min(2 * this.retransmitIntervalMs, t2Ms);
    this.scheduleTimerE();
  }

  /** §17.1.2.2: Timer F in Trying or Proceeding: timeout to the TU, Terminated. */
  private onTimerF(): void {
    this.resolveOutcome({ kind: 'timed-out' });
    this.terminate();
  }

  /**
   * The layer stopped and its connections with it: no response can arrive, so a transaction still
   * waiting ends as a transport error (§17.1.4, as its next send would), and its timers with it.
   */
  close(): void {
    if (this.currentState === 'trying' || this.currentState === 'proceeding') {
      this.resolveOutcome({
        kind: 'transport-error',
        error: new TransportError('flow-closed', `transaction ${this.key} ended: the transport stopped`),
      });
    }
    this.terminate();
  }

  private transmit(): void {
    this.options.flow.send(this.options.request).catch((error: Error) => {
      // §17.1.4: a transport error is reported to the TU and the transaction terminates.
      if (this.currentState === 'trying' || this.currentState === 'proceeding') {
        this.resolveOutcome({ kind: 'transport-error', error });
        this.terminate();
      }
    });
  }

  private terminate(): void {
    if (this.currentState === 'terminated') return;
    this.currentState = 'terminated';
    this.clear(this.timerE);
    this.clear(this.timerF);
    this.clear(this.timerK);
    this.options.onTerminated?.(this.key);
  }

  private clear(timer: TimerHandle | undefined): void {
    if (timer !== undefined) this.options.clock.clearTimer(timer);
  }
}
