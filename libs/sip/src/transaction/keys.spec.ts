import { clientTransactionKey, newBranch, ServerKeyInput, serverTransactionKey } from './keys';

const request: ServerKeyInput = {
  method: 'INFO',
  branch: 'z9hG4bK-a1',
  sentByHost: 'Client.Example',
  sentByPort: 5070,
  requestUri: 'sip:herald.example',
  callId: 'c1',
  cseq: 2,
  fromTag: 'a7',
  toTag: undefined,
  topVia: 'SIP/2.0/UDP client.example:5070;branch=z9hG4bK-a1',
};

describe('transaction keys (RFC 3261 §17.2.3, §17.1.3)', () => {
  it('matches magic-cookie requests on branch, sent-by and method only', () => {
    const key = serverTransactionKey(request);
    expect(serverTransactionKey({ ...request, sentByHost: 'client.example', callId: 'other' })).toBe(key);
    expect(serverTransactionKey({ ...request, branch: 'z9hG4bK-a2' })).not.toBe(key);
    expect(serverTransactionKey({ ...request, sentByPort: 5071 })).not.toBe(key);
    expect(serverTransactionKey({ ...request, method: 'MESSAGE' })).not.toBe(key);
    expect(serverTransactionKey({ ...request, method: 'CANCEL' })).not.toBe(key);
  });

  it('puts ACK into the INVITE transaction', () => {
    expect(serverTransactionKey({ ...request, method: 'ACK' })).toBe(
      serverTransactionKey({ ...request, method: 'INVITE' }),
    );
  });

  it('falls back to RFC 2543 matching without the magic cookie', () => {
    const old = { ...request, branch: '1234' };
    const key = serverTransactionKey(old);
    expect(serverTransactionKey({ ...old, branch: undefined })).toBe(key);
    expect(serverTransactionKey({ ...old, callId: 'c2' })).not.toBe(key);
    expect(serverTransactionKey({ ...old, cseq: 3 })).not.toBe(key);
    expect(serverTransactionKey({ ...old, fromTag: 'b' })).not.toBe(key);
    expect(serverTransactionKey({ ...old, requestUri: 'sip:x' })).not.toBe(key);
    expect(serverTransactionKey({ ...old, topVia: 'SIP/2.0/UDP other' })).not.toBe(key);
  });

  it('keys client transactions on branch and CSeq method', () => {
    expect(clientTransactionKey('z9hG4bK-1', 'INFO')).not.toBe(clientTransactionKey('z9hG4bK-1', 'CANCEL'));
    expect(clientTransactionKey('z9hG4bK-1', 'INFO')).toBe(clientTransactionKey('z9hG4bK-1', 'INFO'));
  });

  it('makes unique magic-cookie branches that are tokens', () => {
    const branches = new Set(Array.from({ length: 100 }, () => newBranch()));
    expect(branches.size).toBe(100);
    for (const branch of branches) expect(branch).toMatch(/^z9hG4bK[A-Za-z0-9_-]{16}$/);
  });
});
