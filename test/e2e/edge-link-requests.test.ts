// Requests over the edge link (protocol 2) in a deployment: the four apps as separate processes on
// the test Kafka and PostgreSQL, devices on real UDP. With the link on, an IM's command goes to
// im-router over the link and its 200 OK comes once im-router committed it (the message row is in
// PostgreSQL when the 200 arrives), and a REGISTER reaches auth the same way: neither is produced
// to Kafka. With HERALD_EDGE_LINK_REQUESTS=false the services do not offer their partitions: every
// command and request is produced to Kafka, the link carrying only records for the edge and outcomes.
import { createKafkaClient } from '#herald/bus';
import { SIP_COMMAND_RECEIVED_IM_ROUTER_V1, SIP_REGISTER_REQUESTED_V1 } from '#herald/contracts';
import { logLevel, type Admin } from 'kafkajs';
import { Client } from 'pg';
import { HeraldCluster } from '../support/herald-cluster';
import type { SipClient } from '../support/sip-client';
import { commandId, Devices, expectStatus, pushOf } from './e2e-support';

/** Cold starts of four Node processes and their consumer group joins on a busy machine. */
const START_TIMEOUT_MS = 240_000;
const TEST_TIMEOUT_MS = 120_000;
const IMS = 6;

/** The summed end offset of a topic's partitions: how many records were ever produced to it. */
async function produced(admin: Admin, topic: string): Promise<number> {
  const partitions = await admin.fetchTopicOffsets(topic);
  return partitions.reduce((sum, partition) => sum + Number(partition.high), 0);
}

describe.each([
  ['HERALD_EDGE_LINK_REQUESTS=true', true],
  ['HERALD_EDGE_LINK_REQUESTS=false', false],
] as const)('edge link on, %s', (_, requestsOverLink) => {
  let cluster: HeraldCluster | undefined;
  let admin: Admin | undefined;
  let database: Client | undefined;
  const devices = new Devices(() => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  });

  beforeAll(async () => {
    cluster = await HeraldCluster.start({
      env: { HERALD_EDGE_LINK_REQUESTS: requestsOverLink ? 'true' : 'false' },
    });
    admin = createKafkaClient({
      brokers: cluster.kafkaBrokers,
      clientId: 'herald-link-requests-test',
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    database = new Client({ connectionString: cluster.databaseUrl });
    await database.connect();
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await devices.closeAll();
    await database?.end();
    await admin?.disconnect();
    await cluster?.stop();
  }, START_TIMEOUT_MS);

  const stored = async (messageId: string): Promise<boolean> =>
    (await database!.query('SELECT 1 FROM messages WHERE message_id = $1', [messageId])).rowCount === 1;

  /** An IM delivered and told delivered: by then every service has sent the edge a record (and connected). */
  async function delivered(sender: SipClient, recipient: SipClient, messageId: string): Promise<void> {
    const from = sender.pushes.length;
    const response = await sender.command(
      { v: 1, id: commandId(), type: 'im.send', to: recipient.aor, text: messageId, messageId },
      'INFO',
    );
    expectStatus(response, 200);
    await pushOf(recipient, 'im', { messageId });
    await pushOf(sender, 'im.status', { messageId, state: 'delivered' }, from);
  }

  it(
    requestsOverLink
      ? "answers an IM's 200 OK once its message is stored, and produces neither commands nor REGISTERs to Kafka"
      : 'produces every command and REGISTER to Kafka',
    async () => {
      const [alice, bob] = await Promise.all(
        ['alice', 'bob'].map((label) =>
          devices.account(label).then((user) => devices.loggedIn(user, 'udp', 'INFO')),
        ),
      );
      // im-router, auth and presence reach the edge over the link when they first send it a record.
      // Bob's IM may go to Kafka before im-router did: his later ones stay there for the hold, so
      // that none overtakes it; Alice's and Carol's are measured.
      await delivered(bob!, alice!, `warm-up-${commandId()}`);
      const commandsBefore = await produced(admin!, SIP_COMMAND_RECEIVED_IM_ROUTER_V1);
      const registersBefore = await produced(admin!, SIP_REGISTER_REQUESTED_V1);

      const storedAt200: boolean[] = [];
      for (let n = 0; n < IMS; n += 1) {
        const messageId = `durable-${n}-${commandId()}`;
        const response = await alice!.command(
          { v: 1, id: commandId(), type: 'im.send', to: bob!.aor, text: messageId, messageId },
          'INFO',
        );
        expectStatus(response, 200);
        storedAt200.push(await stored(messageId));
        await pushOf(bob!, 'im', { messageId });
      }
      await devices.registered(await devices.account('carol'), 'udp');

      const commands = (await produced(admin!, SIP_COMMAND_RECEIVED_IM_ROUTER_V1)) - commandsBefore;
      const registers = (await produced(admin!, SIP_REGISTER_REQUESTED_V1)) - registersBefore;
      if (requestsOverLink) {
        expect({ storedAt200, commands, registers }).toEqual({
          storedAt200: storedAt200.map(() => true),
          commands: 0,
          registers: 0,
        });
      } else {
        expect({ commands, registers }).toEqual({ commands: IMS, registers: 1 });
      }
    },
    TEST_TIMEOUT_MS,
  );
});
