import { randomBytes } from 'node:crypto';
import { TransportAddress, TransportProtocol } from './address';
import { Flow } from './flow';
import { TransportError } from './transport-error';

/**
 * Connection numbers are unique per process, and this process's random tag tells them apart from
 * a previous process's: an edge restarted under the same edge id numbers its connections from 1
 * again, while registrations (and pushes) naming the old process's flows live on until they lapse.
 * Without the tag, a push for `tcp:7` of the old process went to another device's `tcp:7`.
 */
const PROCESS_TAG = randomBytes(6).toString('base64url');
let nextConnectionNumber = 1;

/** Writes one message on the connection; resolves when handed to the socket. */
export type ConnectionWriter = (data: Buffer) => Promise<void>;

/** A flow that is one TCP, TLS or WebSocket connection: `<transport>:<process tag>.<connection number>`. */
export class ConnectionFlow implements Flow {
  readonly id: string;
  readonly reliable = true;
  private open = true;

  constructor(
    readonly protocol: TransportProtocol,
    readonly local: TransportAddress,
    readonly remote: TransportAddress,
    private readonly writer: ConnectionWriter,
  ) {
    this.id = `${protocol}:${PROCESS_TAG}.${nextConnectionNumber++}`;
  }

  isOpen(): boolean {
    return this.open;
  }

  markClosed(): void {
    this.open = false;
  }

  send(data: Buffer): Promise<void> {
    if (!this.open)
      return Promise.reject(new TransportError('flow-closed', `connection ${this.id} is closed`));
    return this.writer(data);
  }
}

/** The open connections of one transport, by flow id. */
export class ConnectionTable {
  private readonly flows = new Map<string, ConnectionFlow>();
  private readonly closers = new Map<string, () => void>();

  add(flow: ConnectionFlow, close: () => void): void {
    this.flows.set(flow.id, flow);
    this.closers.set(flow.id, close);
  }

  /** Marks the flow closed and forgets it; true the first time only. */
  remove(flow: ConnectionFlow): boolean {
    flow.markClosed();
    this.closers.delete(flow.id);
    return this.flows.delete(flow.id);
  }

  find(flowId: string): ConnectionFlow | undefined {
    return this.flows.get(flowId);
  }

  closeAll(): void {
    for (const close of [...this.closers.values()]) close();
  }

  get size(): number {
    return this.flows.size;
  }
}

export function socketAddress(address: string | undefined, port: number | undefined): TransportAddress {
  return { address: address ?? '', port: port ?? 0 };
}
