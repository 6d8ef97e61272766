// The Kubernetes smoke test's SIP side (scripts/k8s-smoke.sh), run on the host against the edge's
// Service with the e2e tests' SIP client. Two phases, so that the second shows a `helm upgrade`
// kept the data:
//   before-upgrade  makes two accounts (admin API), REGISTERs and logs both in over TCP, makes them
//                   buddies, sends an IM that is delivered, then one that is stored for the other,
//                   who has gone offline; writes their names to STATE_FILE
//   after-upgrade   the second user REGISTERs and logs in again: the roster still holds the buddy and
//                   the stored IM arrives, marked offline
// and one for the image's default command, the embedded app:
//   embedded        the demo user alice REGISTERs over UDP and logs in
// Environment: HERALD_EDGE (host:port), HERALD_DOMAIN, HERALD_CLIENT_ADDRESS (source address, default
// 127.0.0.1); HERALD_ADMIN_URL, HERALD_ADMIN_TOKEN and STATE_FILE for the Kubernetes phases.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { type Envelope, type ReceivedPush, SipClient } from '../support/sip-client';

const PASSWORD = `smoke-${randomBytes(8).toString('hex')}`;
/** Generous: the pods share two busy cores with the control plane. */
const WAIT_MS = 30_000;

interface SmokeState {
  alice: string;
  bob: string;
  password: string;
  storedText: string;
}

function setting(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`smoke-client: ${name} is not set`);
  return value;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`smoke-client: ${what}`);
  console.log(`ok - ${what}`);
}

let commandNumber = 0;
/** Sends a command and waits for its `<type>.result` push; fails unless the result is ok. */
async function command(client: SipClient, body: Envelope): Promise<ReceivedPush> {
  commandNumber += 1;
  const id = `smoke-${commandNumber}-${randomBytes(3).toString('hex')}`;
  const from = client.pushes.length;
  const response = await client.command({ v: 1, id, ...body }, 'INFO');
  check(response.status === 200, `${body.type} from ${client.aor} answered 200 (got ${response.status})`);
  const result = await client.waitForPush((push) => push.envelope?.['re'] === id, WAIT_MS, from);
  check(result.envelope?.['ok'] === true, `${body.type} result ok: ${JSON.stringify(result.envelope)}`);
  return result;
}

async function loggedIn(user: string, password: string, protocol: 'tcp' | 'udp' = 'tcp'): Promise<SipClient> {
  const [address, port] = setting('HERALD_EDGE').split(':');
  const client = await SipClient.open({
    protocol,
    server: { address: address!, port: Number(port) },
    domain: setting('HERALD_DOMAIN'),
    user,
    password,
    // The client's source: loopback by default; the host's address on the pods' bridge for a cluster.
    localAddress: process.env['HERALD_CLIENT_ADDRESS'] ?? '127.0.0.1',
  });
  const registered = await client.register();
  check(registered.status === 200, `REGISTER of ${client.aor} answered 200 (got ${registered.status})`);
  await command(client, { type: 'login', status: 'online' });
  return client;
}

function hasBuddy(push: ReceivedPush, aor: string): boolean {
  if (push.envelope?.type !== 'roster') return false;
  const buddies = push.envelope['buddies'] as { uri: string; state: string }[];
  return buddies.some((buddy) => buddy.uri === aor && buddy.state === 'both');
}

async function createAccount(username: string, password: string): Promise<void> {
  const response = await fetch(`${setting('HERALD_ADMIN_URL')}/admin/accounts`, {
    method: 'POST',
    headers: { authorization: `Bearer ${setting('HERALD_ADMIN_TOKEN')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  check(response.status === 201, `admin API created ${username} (got ${response.status})`);
}

async function beforeUpgrade(): Promise<void> {
  const suffix = randomBytes(4).toString('hex');
  const state: SmokeState = {
    alice: `alice-${suffix}`,
    bob: `bob-${suffix}`,
    password: PASSWORD,
    storedText: `kept across the upgrade ${suffix}`,
  };
  await createAccount(state.alice, state.password);
  await createAccount(state.bob, state.password);
  const alice = await loggedIn(state.alice, state.password);
  const bob = await loggedIn(state.bob, state.password);
  try {
    const fromBob = bob.pushes.length;
    await command(alice, { type: 'roster.add', uri: bob.aor });
    await bob.waitForPush((push) => push.envelope?.type === 'buddy.request', WAIT_MS, fromBob);
    await command(bob, { type: 'buddy.answer', from: alice.aor, accept: true });
    await alice.waitForPush((push) => hasBuddy(push, bob.aor), WAIT_MS);
    check(true, `${alice.aor} and ${bob.aor} are buddies`);

    const sent = await command(alice, { type: 'im.send', to: bob.aor, text: 'hello through Kubernetes' });
    const messageId = sent.envelope?.['messageId'];
    const im = await bob.waitForPush(
      (push) => push.envelope?.type === 'im' && push.envelope['messageId'] === messageId,
      WAIT_MS,
    );
    check(im.envelope?.['text'] === 'hello through Kubernetes', `${bob.aor} received the IM`);
    await alice.waitForPush(
      (push) =>
        push.envelope?.type === 'im.status' &&
        push.envelope['messageId'] === messageId &&
        push.envelope['state'] === 'delivered',
      WAIT_MS,
    );
    check(true, 'the IM is reported delivered');

    const unregistered = await bob.unregister();
    check(unregistered.status === 200, `${bob.aor} unREGISTERed`);
    const stored = await command(alice, { type: 'im.send', to: bob.aor, text: state.storedText });
    await alice.waitForPush(
      (push) =>
        push.envelope?.type === 'im.status' &&
        push.envelope['messageId'] === stored.envelope?.['messageId'] &&
        push.envelope['state'] === 'stored',
      WAIT_MS,
    );
    check(true, 'an IM to the offline buddy is stored');
  } finally {
    await alice.close();
    await bob.close();
  }
  writeFileSync(setting('STATE_FILE'), JSON.stringify(state));
}

async function afterUpgrade(): Promise<void> {
  const state = JSON.parse(readFileSync(setting('STATE_FILE'), 'utf8')) as SmokeState;
  const bob = await loggedIn(state.bob, state.password);
  try {
    const aliceAor = `sip:${state.alice}@${setting('HERALD_DOMAIN')}`;
    await bob.waitForPush((push) => hasBuddy(push, aliceAor), WAIT_MS);
    check(true, `${bob.aor} still has ${aliceAor} as a buddy`);
    const im = await bob.waitForPush(
      (push) => push.envelope?.type === 'im' && push.envelope['text'] === state.storedText,
      WAIT_MS,
    );
    check(im.envelope?.['offline'] === true, 'the IM stored before the upgrade arrives, marked offline');
  } finally {
    await bob.close();
  }
}

/** The embedded app's demo account (apps/herald/src/demo-accounts.ts). */
async function embedded(): Promise<void> {
  const alice = await loggedIn('alice', 'herald', 'udp');
  await alice.close();
}

const phases: Record<string, () => Promise<void>> = {
  'before-upgrade': beforeUpgrade,
  'after-upgrade': afterUpgrade,
  embedded,
};
const phase = phases[process.argv[2] ?? ''];
if (phase === undefined) {
  console.error('usage: smoke-client before-upgrade|after-upgrade|embedded');
  process.exit(2);
}
phase().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
