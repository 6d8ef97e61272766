// issue 16: im-router SIGKILLed under steady IM load and started again. Nothing accepted may be
// lost, and no device may get an IM twice: a plain SIP device (protocol.md §7) cannot drop a
// repeated messageId, so its user would see the message twice. The four apps run as separate
// processes on the test Kafka and PostgreSQL, the devices on real UDP sockets. The edge link is on
// (HeraldCluster's default): the IMs' commands reach im-router over it until the kill, those in
// flight then fall back to Kafka.
import { createKafkaClient } from '#herald/bus';
import { SIP_COMMAND_RECEIVED_IM_ROUTER_V1 } from '#herald/contracts';
import type { SipResponse } from '#herald/sip';
import { logLevel, type Admin } from 'kafkajs';
import { HeraldCluster } from '../support/herald-cluster';
import type { ReceivedPush, SipClient } from '../support/sip-client';
import { commandId, commandResult, Devices, expectStatus } from '../e2e/e2e-support';

/** Cold broker group joins and four apps on a busy machine. */
const START_TIMEOUT_MS = 180_000;
const TEST_TIMEOUT_MS = 120_000;
/** Sender → recipient pairs, each sender sending IM_RATE_PER_PAIR IMs per second. */
const PAIRS = 8;
const IM_RATE_PER_PAIR = 5;
/** How long the load runs; im-router is killed KILL_AFTER_MS in and started DOWN_MS later. */
const LOAD_MS = 14_000;
const KILL_AFTER_MS = 5_000;
const DOWN_MS = 3_000;
/**
 * How long the IMs may take to arrive after the load: the consumer session timeout (10 s) the
 * restarted im-router's group waits out, then the backlog, on a busy machine.
 */
const DELIVERY_WAIT_MS = 60_000;

type Receipt = (push: ReceivedPush) => string | undefined;

/** The messageId of an `im` push to a JSON client. */
const imMessageId: Receipt = (push) =>
  push.envelope?.type === 'im' ? String(push.envelope['messageId']) : undefined;

/** A plain device's text/plain MESSAGE: the test sends each IM's messageId as its text. */
const plainMessageText: Receipt = (push) =>
  push.method === 'MESSAGE' && push.request.contentType?.mediaType === 'text/plain'
    ? push.request.bodyText
    : undefined;

interface Pair {
  sender: SipClient;
  recipient: SipClient;
  /** Registers (and logs in) the recipient while im-router is down; undefined when it already did. */
  joinWhileDown?: () => Promise<unknown>;
}

/** How often each messageId reached a recipient. */
function receiptCounts(recipient: SipClient, receipt: Receipt): Map<string, number> {
  const counts = new Map<string, number>();
  for (const push of recipient.pushes) {
    const id = receipt(push);
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let cluster: HeraldCluster | undefined;
let admin: Admin | undefined;
const devices = new Devices(() => {
  if (cluster === undefined) throw new Error('the cluster did not start');
  return cluster;
});

beforeAll(async () => {
  // Requests over the link (off by default since the chaos soak of session 15): the kill hits them.
  cluster = await HeraldCluster.start({ env: { HERALD_EDGE_LINK_REQUESTS: 'true' } });
  admin = createKafkaClient({
    brokers: cluster.kafkaBrokers,
    clientId: 'herald-crash-redelivery-test',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
}, START_TIMEOUT_MS);
afterEach(() => devices.closeAll());
afterAll(async () => {
  await admin?.disconnect();
  await cluster?.stop();
}, START_TIMEOUT_MS);

/** How many of im-router's commands were ever produced to Kafka. */
async function commandsOnKafka(): Promise<number> {
  const partitions = await admin!.fetchTopicOffsets(SIP_COMMAND_RECEIVED_IM_ROUTER_V1);
  return partitions.reduce((sum, partition) => sum + Number(partition.high), 0);
}

/**
 * One IM between two other devices, delivered: im-router has sent the edge a push, so it is
 * connected over the edge link and told the edge its partitions before the load's first IM (a
 * sender whose IM went to Kafka before that stays on Kafka for the hold).
 */
async function linkWarmedUp(): Promise<void> {
  const [sender, recipient] = await Promise.all(
    ['warm-up-sender', 'warm-up-recipient'].map((label) =>
      devices.account(label).then((user) => devices.loggedIn(user, 'udp', 'INFO')),
    ),
  );
  const messageId = `warm-up-${commandId()}`;
  expectStatus(await sendIm({ sender: sender!, recipient: recipient! }, messageId), 200);
  await recipient!.waitForPush((push) => imMessageId(push) === messageId);
}

/** Sends one IM whose text is its messageId; resolves with the edge's answer. */
function sendIm({ sender, recipient }: Pair, messageId: string): Promise<SipResponse> {
  return sender.command(
    { v: 1, id: commandId(), type: 'im.send', to: recipient.aor, text: messageId, messageId },
    'INFO',
  );
}

/**
 * Steady load from every pair while im-router is killed, the late recipients join, and
 * im-router is started again; resolves with the messageIds the edge accepted (200 OK) per pair.
 */
async function loadThroughCrash(pairs: readonly Pair[]): Promise<string[][]> {
  const running = cluster!;
  await linkWarmedUp();
  const commandsBefore = await commandsOnKafka();
  const periodMs = 1000 / IM_RATE_PER_PAIR;
  const perPair = Math.floor(LOAD_MS / periodMs);
  const started = Date.now();
  const sending = pairs.map(async (pair, pairIndex) => {
    const sends: Array<Promise<string | undefined>> = [];
    for (let n = 0; n < perPair; n += 1) {
      // Paced load: the sends of a pair are spread over LOAD_MS, the pairs offset from each other.
      const sendAt = started + n * periodMs + (pairIndex * periodMs) / pairs.length;
      await sleep(Math.max(0, sendAt - Date.now()));
      const messageId = `m-${pairIndex}-${n}-${commandId()}`;
      sends.push(
        sendIm(pair, messageId).then(
          (response) => (response.status === 200 ? messageId : undefined),
          () => undefined,
        ),
      );
    }
    return (await Promise.all(sends)).filter((id): id is string => id !== undefined);
  });
  const crash = (async () => {
    await sleep(KILL_AFTER_MS);
    await running.kill('im-router');
    await Promise.all([sleep(DOWN_MS), ...pairs.map((pair) => pair.joinWhileDown?.())]);
    await running.startApp('im-router');
  })();
  const [accepted] = await Promise.all([Promise.all(sending), crash]);
  // Some commands crossed the edge link (not all are on Kafka): the kill hit requests over the link.
  const accepts = accepted.reduce((sum, ids) => sum + ids.length, 0);
  expect((await commandsOnKafka()) - commandsBefore).toBeLessThan(accepts);
  return accepted;
}

/**
 * Waits until every accepted IM reached its recipient, then until one more IM per pair did: the
 * pushes of the commands redelivered after the crash go out before it (one sender's commands are
 * handled in order), and so do the stored IMs a login or the plain-device sweep offers (the
 * marker is sent once every accepted IM arrived), so a duplicate would have arrived by then.
 */
async function expectEachDeliveredOnce(
  pairs: readonly Pair[],
  accepted: readonly string[][],
  receipt: Receipt,
): Promise<void> {
  await Promise.all(
    pairs.map(({ recipient }, index) =>
      recipient.waitUntil(
        () => {
          const counts = receiptCounts(recipient, receipt);
          return accepted[index].every((id) => counts.has(id)) ? true : undefined;
        },
        DELIVERY_WAIT_MS,
        `the ${accepted[index].length} accepted IMs`,
      ),
    ),
  );
  await Promise.all(
    pairs.map(async (pair) => {
      const marker = `last-${commandId()}`;
      expectStatus(await sendIm(pair, marker), 200);
      await pair.recipient.waitUntil(
        () => (receiptCounts(pair.recipient, receipt).has(marker) ? true : undefined),
        DELIVERY_WAIT_MS,
        'the last IM',
      );
    }),
  );
  const accepts = accepted.reduce((sum, ids) => sum + ids.length, 0);
  // The load must have been accepted throughout (the edge does not need im-router to answer 200).
  expect(accepts).toBeGreaterThan(0.9 * PAIRS * Math.floor(LOAD_MS / (1000 / IM_RATE_PER_PAIR)));
  const repeated = pairs.flatMap(({ recipient }, index) => {
    const counts = receiptCounts(recipient, receipt);
    return accepted[index].filter((id) => counts.get(id) !== 1).map((id) => `${id} × ${counts.get(id)}`);
  });
  expect({ accepts, repeated }).toEqual({ accepts, repeated: [] });
}

/** A logged-in JSON sender; `recipient` opens the recipient's device. */
async function pairWith(recipient: (user: string) => Promise<SipClient>, label: string): Promise<Pair> {
  const [sender, recipientDevice] = await Promise.all([
    devices.account('sender').then((user) => devices.loggedIn(user, 'udp', 'INFO')),
    devices.account(label).then(recipient),
  ]);
  return { sender, recipient: recipientDevice };
}

/** A JSON recipient logged in before the load. */
function loggedInPair(): Promise<Pair> {
  return pairWith((user) => devices.loggedIn(user, 'udp', 'INFO'), 'recipient');
}

/**
 * A JSON recipient that registers and logs in while im-router is down: after the restart its
 * login is offered the IMs stored meanwhile while the backlog's IMs go to it live, and its new
 * binding is also queued for the plain-device sweep (the two events come in no order).
 */
async function lateJsonPair(): Promise<Pair> {
  const pair = await pairWith((user) => devices.device(user, 'udp'), 'recipient');
  return {
    ...pair,
    joinWhileDown: async () => {
      expectStatus(await pair.recipient.register(), 200);
      const login = await commandResult(pair.recipient, { type: 'login', status: 'online' }, 'INFO');
      expect(login.envelope).toMatchObject({ ok: true });
    },
  };
}

/**
 * A plain SIP recipient (REGISTER only) that registers while im-router is down: its login grace
 * (5 s) is over by the restart, so the plain-device sweep offers it the IMs stored meanwhile while
 * the backlog's IMs go to it live.
 */
async function latePlainPair(): Promise<Pair> {
  const pair = await pairWith((user) => devices.device(user, 'udp'), 'phone');
  return {
    ...pair,
    joinWhileDown: async () => expectStatus(await pair.recipient.register(), 200),
  };
}

function pairsOf(make: () => Promise<Pair>, count: number): Promise<Pair[]> {
  return Promise.all(Array.from({ length: count }, make));
}

describe('im-router SIGKILLed under steady IM load and restarted', () => {
  it(
    'every accepted IM reaches each JSON recipient device exactly once, by messageId',
    async () => {
      const pairs = [
        ...(await pairsOf(loggedInPair, PAIRS / 2)),
        ...(await pairsOf(lateJsonPair, PAIRS / 2)),
      ];
      const accepted = await loadThroughCrash(pairs);
      await expectEachDeliveredOnce(pairs, accepted, imMessageId);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'every accepted IM reaches each plain SIP device exactly once as a text/plain MESSAGE',
    async () => {
      const pairs = await pairsOf(latePlainPair, PAIRS);
      const accepted = await loadThroughCrash(pairs);
      await expectEachDeliveredOnce(pairs, accepted, plainMessageText);
    },
    TEST_TIMEOUT_MS,
  );
});
