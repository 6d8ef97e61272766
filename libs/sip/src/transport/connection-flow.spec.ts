import type * as ConnectionFlowModule from './connection-flow';

const local = { address: '127.0.0.1', port: 5060 };
const remote = { address: '127.0.0.1', port: 40000 };

/** The id of the first connection of a fresh process (a fresh copy of the module). */
function firstConnectionIdOfAProcess(): string {
  let id = '';
  jest.isolateModules(() => {
    const { ConnectionFlow } = jest.requireActual<typeof ConnectionFlowModule>('./connection-flow');
    id = new ConnectionFlow('tcp', local, remote, () => Promise.resolve()).id;
  });
  return id;
}

describe('ConnectionFlow ids', () => {
  it('never repeat within a process', () => {
    jest.isolateModules(() => {
      const { ConnectionFlow } = jest.requireActual<typeof ConnectionFlowModule>('./connection-flow');
      const ids = ['tcp', 'tcp', 'ws'].map(
        (protocol) => new ConnectionFlow(protocol as 'tcp' | 'ws', local, remote, () => Promise.resolve()).id,
      );
      expect(new Set(ids).size).toBe(3);
      expect(ids[2]).toMatch(/^ws:/);
    });
  });

  // A restarted edge keeps its edge id, and registrations naming the old process's flows outlive
  // it: a push for one of them must not reach whichever new connection got the same number.
  it("differ from a previous process's, whose connections were numbered from 1 too", () => {
    expect(firstConnectionIdOfAProcess()).not.toBe(firstConnectionIdOfAProcess());
  });
});
