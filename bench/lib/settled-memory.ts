import { createWriteStream } from 'node:fs';
import { rssBytes } from './results';

/** Node opens its inspector here when it gets SIGUSR1 (loopback only). */
const INSPECTOR_URL = 'http://127.0.0.1:9229/json/list';
const INSPECTOR_WAIT_MS = 10_000;
const INSPECTOR_POLL_MS = 100;
/** Full GCs before reading the heap: weak references and finalizers need a second pass. */
const GC_PASSES = 2;

export class InspectError extends Error {
  readonly code = 'BENCH_INSPECT_FAILED';
}

export interface SettledMemory {
  /** Resident set size after the GCs (bytes). */
  rss: number;
  /** V8 heap used after the GCs (bytes). */
  heapUsed: number;
  /** Memory outside the V8 heap that V8 knows of: Buffers, ArrayBuffers (bytes). */
  external: number;
}

interface InspectorReply {
  id?: number;
  method?: string;
  result?: Record<string, unknown>;
  error?: { message: string };
  params?: { chunk?: string };
}

/** One DevTools protocol session with another Node process (its inspector on 127.0.0.1:9229). */
class InspectorSession {
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: InspectorReply) => void>();
  private onChunk: ((chunk: string) => void) | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.addEventListener('message', (event) => {
      const reply = JSON.parse(String(event.data)) as InspectorReply;
      if (reply.method === 'HeapProfiler.addHeapSnapshotChunk') this.onChunk?.(reply.params?.chunk ?? '');
      if (reply.id === undefined) return;
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }

  /** Opens the inspector of `pid` (SIGUSR1) and connects; checks it is that process's. */
  static async open(pid: number): Promise<InspectorSession> {
    process.kill(pid, 'SIGUSR1');
    const deadline = Date.now() + INSPECTOR_WAIT_MS;
    let target: { webSocketDebuggerUrl: string } | undefined;
    while (target === undefined) {
      try {
        const list = (await (await fetch(INSPECTOR_URL)).json()) as { webSocketDebuggerUrl: string }[];
        target = list[0];
      } catch (error) {
        if (Date.now() > deadline) throw new InspectError(`no inspector for pid ${pid}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, INSPECTOR_POLL_MS));
      }
    }
    const socket = new WebSocket(target.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener('open', () => resolve(), { once: true });
      socket.addEventListener('error', () => reject(new InspectError('inspector connection failed')), {
        once: true,
      });
    });
    const session = new InspectorSession(socket);
    const owner = await session.call('Runtime.evaluate', { expression: 'process.pid' });
    if ((owner['result'] as { value?: unknown } | undefined)?.value !== pid) {
      socket.close();
      throw new InspectError(`the inspector on 9229 is not pid ${pid}'s`);
    }
    return session;
  }

  async call(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const reply = await new Promise<InspectorReply>((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
    if (reply.error !== undefined) throw new InspectError(`${method}: ${reply.error.message}`);
    return reply.result ?? {};
  }

  /** Streams a heap snapshot (it runs a full GC first) into `file`. */
  async heapSnapshot(file: string): Promise<void> {
    const out = createWriteStream(file);
    this.onChunk = (chunk) => out.write(chunk);
    try {
      await this.call('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    } finally {
      this.onChunk = undefined;
      await new Promise<void>((resolve) => out.end(resolve));
    }
  }

  /** Disconnects and closes the inspector again once this session is gone (frees port 9229). */
  async close(): Promise<void> {
    await this.call('Runtime.evaluate', {
      expression: "setTimeout(() => process.getBuiltinModule('node:inspector').close(), 500), 0",
    });
    this.socket.close();
  }
}

/**
 * RSS, V8 heap used and external memory of another Node process after full GCs (through its
 * inspector, opened with SIGUSR1 and closed again); optionally writes a heap snapshot afterwards.
 */
export async function settledMemory(pid: number, snapshotFile?: string): Promise<SettledMemory> {
  const session = await InspectorSession.open(pid);
  try {
    for (let pass = 0; pass < GC_PASSES; pass++) await session.call('HeapProfiler.collectGarbage');
    const usage = await session.call('Runtime.getHeapUsage');
    const external = await session.call('Runtime.evaluate', {
      expression: 'process.memoryUsage().external',
      returnByValue: true,
    });
    const memory = {
      rss: rssBytes(pid),
      heapUsed: Number(usage['usedSize']),
      external: Number((external['result'] as { value?: unknown } | undefined)?.value),
    };
    // After the figures: building a snapshot takes memory of its own that the process keeps.
    if (snapshotFile !== undefined) await session.heapSnapshot(snapshotFile);
    return memory;
  } finally {
    await session.close();
  }
}
