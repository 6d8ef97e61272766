import { type HeraldClient, type HeraldClientEvents, PUSH_TYPES } from '#herald/client';

const WAIT_MS = 20_000;

/** Everything a client emitted, by event, and a way to wait for the next one that matches. */
export class Recorder {
  readonly events: { [K in keyof HeraldClientEvents]?: HeraldClientEvents[K][] } = {};
  private waiters: (() => void)[] = [];

  constructor(client: HeraldClient) {
    const names: (keyof HeraldClientEvents)[] = [...PUSH_TYPES, 'state', 'login', 'error'];
    for (const name of names) {
      client.on(name, (value) => {
        ((this.events[name] ??= []) as unknown[]).push(value);
        this.waiters.splice(0).forEach((wake) => wake());
      });
    }
  }

  all<K extends keyof HeraldClientEvents>(name: K): HeraldClientEvents[K][] {
    return (this.events[name] ?? []) as HeraldClientEvents[K][];
  }

  async next<K extends keyof HeraldClientEvents>(
    name: K,
    matches: (value: HeraldClientEvents[K]) => boolean = () => true,
  ): Promise<HeraldClientEvents[K]> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const found = this.all(name).find(matches);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no ${String(name)} event matched within ${WAIT_MS} ms`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }
}
