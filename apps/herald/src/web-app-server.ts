import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';

/** What the page needs to reach Herald: it builds `ws://<its own host>:<wsPort>` from it. */
export interface WebAppSettings {
  domain: string;
  /** The plain WebSocket listener (loopback: no certificate, so no browser warning). */
  wsPort: number | undefined;
  /** The secure one, used when the page itself is served over https. */
  wssPort: number | undefined;
  /** A URL that replaces both (HERALD_WEB_SIP_URL): the edge seen from browsers, elsewhere. */
  sipUrl?: string;
}

/** The built files (scripts/build-web.mjs) and their types; nothing else is served. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.js.map': { file: 'app.js.map', type: 'application/json' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

/**
 * The web app of the embedded default (`http://127.0.0.1:8088/`): its static files from `root`
 * and `/config.json`. Read per request (a few small files; `npm start` rebuilds them).
 */
export class WebAppServer {
  private readonly server: Server;

  constructor(
    private readonly root: string,
    private readonly settings: WebAppSettings,
    private readonly onError: (message: string) => void,
  ) {
    this.server = createServer((request, response) => {
      this.serve(request, response).catch((error: unknown) => {
        this.onError(
          `WEB_SERVE_FAILED ${request.url ?? ''}: ${error instanceof Error ? error.message : String(error)}`,
        );
        if (!response.headersSent) response.writeHead(500, SECURITY_HEADERS);
        response.end();
      });
    });
  }

  /** Listens on `host:port` (0: ephemeral); resolves with the bound port. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path === '/config.json') {
      this.send(request, response, 'application/json', JSON.stringify(this.settings));
      return;
    }
    const entry = FILES[path];
    if (entry === undefined) {
      response.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = await readFile(join(this.root, entry.file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (body === undefined) {
      response
        .writeHead(503, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain' })
        .end('the web app is not built: run `npm run build` (or `npm start`)\n');
      return;
    }
    this.send(request, response, entry.type, body);
  }

  private send(
    request: IncomingMessage,
    response: ServerResponse,
    type: string,
    body: string | Buffer,
  ): void {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': type,
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}
