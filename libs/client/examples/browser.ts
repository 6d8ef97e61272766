// The smallest browser page script: bundle it (esbuild examples/browser.ts --bundle --outfile=app.js)
// and load it from a page served next to Herald. apps/web is the full web app built this way.
import { HeraldClient, sipJsCarrier } from '../src';

export async function signIn(user: string, password: string): Promise<HeraldClient> {
  // Plain WS on loopback needs no certificate; a page served over https uses wss:// (port 8443).
  const client = new HeraldClient({
    carrier: sipJsCarrier({ server: 'ws://127.0.0.1:8080', domain: 'herald.local', user, password }),
    reconnect: { initialDelayMs: 500, maxDelayMs: 10_000 },
  });
  client.on('state', ({ state, reason }) => {
    if (state === 'reconnecting') console.warn(`Herald unreachable (${reason}); reconnecting…`);
  });
  client.on('im', (im) => console.log(`${im.from}: ${im.text}`));
  await client.connect();
  return client;
}
