// The four apps as processes on real Kafka and PostgreSQL, with OTEL_SDK_DISABLED=true (the chart's
// default): every metric the Grafana dashboard and the PrometheusRule query is in their /metrics,
// and every line any of them wrote is one JSON object with a level name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandId, commandResult, Devices, pushOf } from '../e2e/e2e-support';
import { befriend } from '../e2e/scenarios';
import { type ClusterApp, HeraldCluster } from '../support/herald-cluster';
import { REPO_ROOT } from '../support/herald-process';

const START_TIMEOUT_MS = 300_000;
const TEST_TIMEOUT_MS = 120_000;
const CHART = join(REPO_ROOT, 'deploy', 'helm', 'herald');
const APPS: readonly ClusterApp[] = ['sip-edge', 'auth', 'presence', 'im-router'];
const LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** How long the IM's delivery may take to show in the histogram (its push is answered asynchronously). */
const DELIVERY_WAIT_MS = 30_000;
const SCRAPE_INTERVAL_MS = 500;

/** The Herald metric names a PromQL text queries (histogram series reduced to the histogram). */
function metricsQueriedBy(text: string): Set<string> {
  return new Set(
    [...text.matchAll(/herald_[a-z0-9_]+/g)].map(([name]) => name.replace(/_(bucket|sum|count)$/, '')),
  );
}

/** The metric names with at least one series in a Prometheus scrape. */
function metricsIn(scrape: string): Set<string> {
  const names = new Set<string>();
  for (const line of scrape.split('\n')) {
    const name = /^(herald_[a-z0-9_]+)[{ ]/.exec(line)?.[1];
    if (name !== undefined) names.add(name.replace(/_(bucket|sum|count)$/, ''));
  }
  return names;
}

describe('monitoring and logs of the separate apps (OTEL_SDK_DISABLED=true)', () => {
  let cluster: HeraldCluster | undefined;
  const devices = new Devices(() => {
    if (cluster === undefined) throw new Error('the cluster did not start');
    return cluster;
  });

  beforeAll(async () => {
    // Upper case on purpose: level names are accepted in any case.
    cluster = await HeraldCluster.start({ env: { OTEL_SDK_DISABLED: 'true', HERALD_LOG_LEVEL: 'INFO' } });
  }, START_TIMEOUT_MS);
  afterAll(async () => {
    await devices.closeAll();
    await cluster?.stop();
  }, START_TIMEOUT_MS);

  async function scrapeAll(): Promise<Set<string>> {
    const names = new Set<string>();
    for (const app of APPS) {
      const response = await fetch(`${cluster!.operationsUrl(app)}/metrics`);
      expect(response.status).toBe(200);
      for (const name of metricsIn(await response.text())) names.add(name);
    }
    return names;
  }

  it(
    'serves every metric the dashboard and the alerts query',
    async () => {
      // Traffic that moves the counters and histograms: registrations, logins, a presence fan-out, a live IM.
      const alice = await devices.loggedIn(await devices.account('metrics-alice'), 'udp', 'INFO');
      const bob = await devices.loggedIn(await devices.account('metrics-bob'), 'tcp', 'INFO');
      await befriend(alice, bob, 'INFO');
      // A status change alone is a presence fan-out (the befriending pushes come with rosters).
      const fromAlice = alice.pushes.length;
      await commandResult(bob, { id: commandId(), type: 'presence.set', status: 'away' }, 'INFO');
      await pushOf(alice, 'presence', { uri: bob.aor, status: 'away' }, fromAlice);
      const sent = await commandResult(
        alice,
        { id: commandId(), type: 'im.send', to: bob.aor, text: 'hi' },
        'INFO',
      );
      expect(sent.envelope).toMatchObject({ ok: true });
      const queried = new Set([
        ...metricsQueriedBy(readFileSync(join(CHART, 'dashboards', 'herald.json'), 'utf8')),
        ...metricsQueriedBy(readFileSync(join(CHART, 'templates', 'common', 'prometheusrule.yaml'), 'utf8')),
      ]);
      // The IM's delivery latency is recorded when bob's device answers its push: scrape until then.
      const deadline = Date.now() + DELIVERY_WAIT_MS;
      let missing: string[];
      for (;;) {
        const served = await scrapeAll();
        missing = [...queried].filter((name) => !served.has(name));
        if (missing.length === 0 || Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, SCRAPE_INTERVAL_MS));
      }
      expect(missing).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it('writes nothing but JSON lines with level names, in every app', () => {
    for (const app of APPS) {
      const entries = cluster!.processes.get(app)!.logEntries();
      expect(entries.length).toBeGreaterThan(0);
      for (const entry of entries) expect(LEVEL_NAMES).toContain(entry['level']);
      // Nest's own start-up lines went through the same pipeline.
      expect(entries.some((entry) => entry['context'] === 'NestApplication')).toBe(true);
    }
  });
});
