/** How Herald answered a push, as the client's SIP response to it. */
export interface PushAnswer {
  status: 200 | 400 | 415;
  reason?: string;
}

/** What a carrier reports to the client above it. */
export interface CarrierHandlers {
  /** A request from Herald (a push); the return value is sent back as the SIP response. */
  onPush(body: string, contentType: string | undefined): PushAnswer;
  /** The connection or the registration is gone (not called after close()). */
  onLost(reason: string): void;
}

/**
 * One SIP flow to Herald for one device: connect and REGISTER (refreshing it), send commands as
 * SIP requests, receive pushes. A carrier is used for one connection; the client makes a new one
 * to reconnect.
 */
export interface Carrier {
  /** Connects and registers; rejects with a HeraldClientError when either fails. */
  open(): Promise<void>;
  /** Sends one envelope; resolves on Herald's 2xx, rejects with a HeraldClientError otherwise. */
  send(body: string): Promise<void>;
  /** Unregisters (best effort) and disconnects. */
  close(): Promise<void>;
}

export type CarrierFactory = (handlers: CarrierHandlers) => Carrier;
