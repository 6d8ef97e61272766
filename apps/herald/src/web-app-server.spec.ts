import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebAppServer } from './web-app-server';

describe('WebAppServer', () => {
  let root: string;
  let server: WebAppServer;
  let base: string;
  const errors: string[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'herald-web-spec-'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>Herald</title>');
    server = new WebAppServer(root, { domain: 'herald.test', wsPort: 8080, wssPort: 8443 }, (line) =>
      errors.push(line),
    );
    base = `http://127.0.0.1:${await server.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });

  it('serves the page with its type and a content security policy that allows WebSockets', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self' ws: wss:");
    expect(await response.text()).toContain('<title>Herald</title>');
  });

  it('tells the page the domain and the WebSocket ports', async () => {
    const response = await fetch(`${base}/config.json`);
    expect(await response.json()).toEqual({ domain: 'herald.test', wsPort: 8080, wssPort: 8443 });
  });

  it('answers 404 outside its files (no path escapes the root), 405 to other methods, 503 when not built', async () => {
    expect((await fetch(`${base}/../../etc/passwd`)).status).toBe(404);
    expect((await fetch(`${base}/main.ts`)).status).toBe(404);
    const post = await fetch(`${base}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const unbuilt = await fetch(`${base}/app.js`);
    expect(unbuilt.status).toBe(503);
    expect(await unbuilt.text()).toContain('npm run build');
    expect(errors).toEqual([]);
  });
});
