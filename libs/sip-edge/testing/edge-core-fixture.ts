// The edge's inbound core as its unit specs drive it: one config, fake flows, and requests handed up
// as the transaction layer does. Outside src/, so never built into dist.
import { DIGEST_ALGORITHMS, type Flow, parseMessage, type SipRequest, type SipResponse } from '#herald/sip';
import type { SipEdgeConfig } from '../src/edge-config';
import type { EdgeCore } from '../src/edge-core';

/** The domain D of the unit specs. */
export const UNIT_DOMAIN = 'herald.test';
/** Where the specs' fake clocks start. */
export const UNIT_START_MS = Date.parse('2026-01-01T00:00:00Z');

/** The edge config of the unit specs; `overrides` carry what a spec is about. */
export function unitEdgeConfig(overrides: Partial<SipEdgeConfig> = {}): SipEdgeConfig {
  return {
    domain: UNIT_DOMAIN,
    edgeId: 'edge-unit',
    bindHost: '127.0.0.1',
    ports: {},
    nonceSecret: 'unit-secret',
    digestAlgorithms: DIGEST_ALGORITHMS,
    nonceLifetimeMs: 60_000,
    minExpires: 60,
    defaultExpires: 3600,
    maxBodyBytes: 256,
    timers: {},
    decisionTimeoutsMs: { register: 2_000, publish: 2_000, subscribe: 2_000 },
    rateLimit: { burst: 100, perSecond: 100 },
    retryAfterSeconds: 7,
    ...overrides,
  };
}

export interface FakeFlowOptions {
  protocol?: 'udp' | 'tcp';
  /** The peer (default 127.0.0.1:5070). */
  remote?: { address: string; port: number };
  /** Default: a UDP flow's id as the transport makes one per source address and port. */
  id?: string;
}

/** An open flow to the edge's port 5060 that keeps what is sent on it. */
export function fakeFlow(options: FakeFlowOptions = {}): Flow & { sent: Buffer[] } {
  const protocol = options.protocol ?? 'udp';
  const remote = options.remote ?? { address: '127.0.0.1', port: 5070 };
  const sent: Buffer[] = [];
  return {
    id: options.id ?? `${protocol}:5060:${remote.address}:${remote.port}`,
    protocol,
    reliable: protocol !== 'udp',
    local: { address: '127.0.0.1', port: 5060 },
    remote,
    isOpen: () => true,
    send: async (data: Buffer) => {
      sent.push(data);
    },
    sent,
  };
}

/** Hands `request` from `flow` up to `core` as the transaction layer does; resolves with its one response. */
export async function sendThrough(core: EdgeCore, request: SipRequest, flow: Flow): Promise<SipResponse> {
  const responses: SipResponse[] = [];
  await core.pipeline.onRequest({
    request,
    flow,
    transactionKey: `key-${request.topVia?.branch ?? ''}`,
    respond: (response) => responses.push(response),
  });
  expect(responses).toHaveLength(1);
  return responses[0]!;
}

/** The request written as `lines` (start line, headers, empty line, body), parsed as the transport would. */
export function parseRequest(lines: readonly string[]): SipRequest {
  const message = parseMessage(Buffer.from(lines.join('\r\n')));
  if (message.kind !== 'request') throw new Error('expected a request');
  return message;
}
