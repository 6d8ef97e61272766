import { FakeClock } from '#herald/sip';
import { FlowBinding, FlowRegistry } from './flow-registry';

const AOR = 'sip:alice@herald.test';

function binding(flowId: string, expiresAt: number, aor = AOR): FlowBinding {
  return {
    flowId,
    aor,
    deviceId: `dev-${flowId}`,
    contact: `sip:alice@127.0.0.1:${flowId.length}`,
    expiresAt,
  };
}

describe('FlowRegistry', () => {
  let clock: FakeClock;
  let removed: FlowBinding[];
  let registry: FlowRegistry;

  beforeEach(() => {
    clock = new FakeClock(1_000);
    removed = [];
    registry = new FlowRegistry(clock, (b) => removed.push(b));
  });

  it('looks a binding up by flow and by AOR', () => {
    registry.bind(binding('udp:5060:127.0.0.1:5070', 60_000));
    registry.bind(binding('tcp:1', 60_000));
    registry.bind(binding('tcp:2', 60_000, 'sip:bob@herald.test'));
    expect(registry.lookup('tcp:1')?.aor).toBe(AOR);
    expect(
      registry
        .bindingsOf(AOR)
        .map((b) => b.flowId)
        .sort(),
    ).toEqual(['tcp:1', 'udp:5060:127.0.0.1:5070']);
    expect(registry.bindingsOf('sip:bob@herald.test')).toHaveLength(1);
    expect(registry.lookup('tcp:9')).toBeUndefined();
  });

  it('replaces the binding of a flow registered again (other AOR) and forgets the old AOR index', () => {
    registry.bind(binding('tcp:1', 60_000));
    registry.bind(binding('tcp:1', 60_000, 'sip:bob@herald.test'));
    expect(registry.bindingsOf(AOR)).toEqual([]);
    expect(registry.lookup('tcp:1')?.aor).toBe('sip:bob@herald.test');
    expect(registry.size).toBe(1);
  });

  it('ignores and purges a lapsed binding on lookup', () => {
    registry.bind(binding('tcp:1', 2_000));
    clock.advance(999);
    expect(registry.lookup('tcp:1')).toBeDefined();
    clock.advance(1);
    expect(registry.lookup('tcp:1')).toBeUndefined();
    expect(registry.size).toBe(0);
    expect(removed.map((b) => b.flowId)).toEqual(['tcp:1']);
  });

  it('sweeps lapsed bindings periodically', () => {
    registry.bind(binding('tcp:1', 5_000));
    registry.bind(binding('tcp:2', 50_000));
    registry.startSweeping(1_000);
    clock.advance(4_000);
    expect(registry.size).toBe(1);
    expect(removed.map((b) => b.flowId)).toEqual(['tcp:1']);
    registry.stopSweeping();
    expect(clock.pendingTimers).toBe(0);
  });

  it('unbinds on connection close and reports the binding removed', () => {
    registry.bind(binding('tcp:1', 60_000));
    expect(registry.unbind('tcp:1')?.aor).toBe(AOR);
    expect(registry.unbind('tcp:1')).toBeUndefined();
    expect(registry.bindingsOf(AOR)).toEqual([]);
    expect(removed).toHaveLength(1);
  });

  it('keeps several flows of one AOR and forgets the AOR with its last flow', () => {
    registry.bind(binding('tcp:1', 60_000));
    registry.bind(binding('tcp:2', 60_000));
    registry.bind(binding('tcp:3', 60_000));
    expect(registry.aorCount).toBe(1);
    registry.unbind('tcp:2');
    expect(
      registry
        .bindingsOf(AOR)
        .map((b) => b.flowId)
        .sort(),
    ).toEqual(['tcp:1', 'tcp:3']);
    registry.unbind('tcp:1');
    expect(registry.bindingsOf(AOR).map((b) => b.flowId)).toEqual(['tcp:3']);
    registry.bind(binding('tcp:4', 60_000));
    expect(
      registry
        .bindingsOf(AOR)
        .map((b) => b.flowId)
        .sort(),
    ).toEqual(['tcp:3', 'tcp:4']);
    registry.unbind('tcp:3');
    registry.unbind('tcp:4');
    expect(registry.bindingsOf(AOR)).toEqual([]);
    expect(registry.aorCount).toBe(0);
    expect(registry.size).toBe(0);
  });

  it('gives back the binding as bound, whether the device id is the Contact or an instance id', () => {
    const contact = 'sip:alice@127.0.0.1:5070';
    const byContact = { flowId: 'tcp:1', aor: AOR, deviceId: contact, contact, expiresAt: 60_000 };
    const byInstance = {
      ...binding('tcp:2', 70_000),
      deviceId: '<urn:uuid:00000000-0000-0000-0000-000000000001>',
    };
    registry.bind(byContact);
    registry.bind(byInstance);
    expect(registry.lookup('tcp:1')).toEqual(byContact);
    expect(registry.lookup('tcp:2')).toEqual(byInstance);
    expect(registry.unbind('tcp:2')).toEqual(byInstance);
    expect(removed).toEqual([byInstance]);
  });
});
