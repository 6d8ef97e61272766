// Signs in as one user, asks another to be a buddy, sends an IM and prints what Herald pushes.
// Against `npm start` (after building with esbuild or tsc), over UDP, TCP or WS on the SDK's own
// user agent:  node node-chat.js alice herald bob udp://127.0.0.1:5060
import { HeraldClient, HeraldCommandError } from '../src';
import { sipCarrier } from '../src/node';

async function main(): Promise<void> {
  const [user = 'alice', password = 'herald', buddy = 'bob', server = 'udp://127.0.0.1:5060'] =
    process.argv.slice(2);
  const domain = 'herald.local';
  const client = new HeraldClient({
    carrier: sipCarrier({ server, domain, user, password }),
    login: { status: 'online', note: 'trying the SDK', device: { name: 'node example' } },
  });
  client.on('state', ({ state, reason }) => console.log(`state: ${state}${reason ? ` (${reason})` : ''}`));
  client.on('roster', ({ buddies }) =>
    console.log(
      'roster:',
      buddies.map((b) => `${b.uri} ${b.state} ${b.status}`),
    ),
  );
  client.on('presence', ({ uri, status, note }) =>
    console.log(`presence: ${uri} is ${status} ${note ?? ''}`),
  );
  client.on('buddy.request', ({ from }) => {
    console.log(`${from} asks to be a buddy: accepting`);
    void client.command('buddy.answer', { from, accept: true });
  });
  client.on('im', ({ from, text, offline }) =>
    console.log(`${from}${offline ? ' (while you were away)' : ''}: ${text}`),
  );
  client.on('im.status', ({ messageId, state }) => console.log(`message ${messageId}: ${state}`));

  const { user: aor } = await client.connect();
  console.log(`signed in as ${aor}`);
  try {
    await client.command('roster.add', { uri: `sip:${buddy}@${domain}`, group: 'Friends' });
  } catch (error) {
    // Already a buddy (or a request is pending): the IM below still goes once accepted.
    if (!(error instanceof HeraldCommandError)) throw error;
    console.log(`roster.add: ${error.code}`);
  }
  const { messageId } = await client.sendIm(`sip:${buddy}@${domain}`, `hello from ${user}`);
  console.log(`sent ${messageId}`);
  process.once('SIGINT', () => void client.disconnect().then(() => process.exit(0)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
