import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { parseArgs } from 'node:util';

/**
 * A UDP relay between SIPp and Herald that drops the `algorithm=SHA-256` WWW-Authenticate line of
 * every 401. Herald offers SHA-256 first (protocol.md §1) and Debian's SIPp 3.6 answers only the
 * first challenge and knows only MD5, so without this it cannot authenticate at all. Each client
 * address gets its own upstream socket, so Herald still sees one flow per SIPp socket.
 *   node dist/bench/md5-challenge-relay.js --listen PORT --target PORT   (both on 127.0.0.1)
 */
const LOOPBACK = '127.0.0.1';
/** SIPp -t un opens a socket per call: upstreams idle this long are closed so descriptors last. */
const UPSTREAM_IDLE_MS = 10_000;
const SWEEP_INTERVAL_MS = 2_000;
const SHA256_CHALLENGE = /\r\nWWW-Authenticate: Digest [^\r\n]*algorithm=SHA-256[^\r\n]*/gi;

function main(): void {
  const { values } = parseArgs({
    options: { listen: { type: 'string' }, target: { type: 'string' } },
  });
  const listenPort = Number(values.listen);
  const targetPort = Number(values.target);
  const front = createSocket('udp4');
  const upstreams = new Map<string, { socket: Socket; usedAt: number }>();

  const upstreamFor = (client: RemoteInfo): Socket => {
    const key = `${client.address}:${client.port}`;
    const known = upstreams.get(key);
    if (known !== undefined) {
      known.usedAt = Date.now();
      return known.socket;
    }
    const upstream = createSocket('udp4');
    upstream.bind(0, LOOPBACK);
    upstream.on('message', (data) => {
      const text = data.toString('latin1');
      const out = text.startsWith('SIP/2.0 401')
        ? Buffer.from(text.replace(SHA256_CHALLENGE, ''), 'latin1')
        : data;
      front.send(out, client.port, client.address);
    });
    upstream.on('error', (error) => console.error(`md5-challenge-relay: upstream ${key}: ${error.message}`));
    upstreams.set(key, { socket: upstream, usedAt: Date.now() });
    return upstream;
  };
  const sweep = setInterval(() => {
    const idleSince = Date.now() - UPSTREAM_IDLE_MS;
    for (const [key, upstream] of upstreams) {
      if (upstream.usedAt >= idleSince) continue;
      upstream.socket.close();
      upstreams.delete(key);
    }
  }, SWEEP_INTERVAL_MS);

  front.on('message', (data, client) => upstreamFor(client).send(data, targetPort, LOOPBACK));
  front.on('error', (error) => {
    console.error(`md5-challenge-relay: ${error.message}`);
    process.exit(1);
  });
  front.bind(listenPort, LOOPBACK, () =>
    console.log(`md5-challenge-relay: ready ${listenPort} -> ${targetPort}`),
  );
  const stop = () => {
    clearInterval(sweep);
    front.close();
    for (const upstream of upstreams.values()) upstream.socket.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main();
