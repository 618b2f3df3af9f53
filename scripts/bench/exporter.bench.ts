import { get } from 'node:http';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  DEFAULT_ACCOUNTING_INTERVAL_SECONDS,
  DEFAULT_INTERVAL_SECONDS,
  DEFAULT_PROBE_OPTIONS,
  startExporter,
  type Exporter,
} from '../../src/metrics/index.js';
import { isPortFree } from '../../src/cluster/index.js';
import { generatePopulation, openAdminSession, provisionMany, type AdminSession } from '../../src/provision/index.js';
import { openAccountingKeyspace, QUOTA_KEYS, type AccountingKeyspace } from '../../tests/support/accounting-keys.js';
import { startTestCluster, type TestCluster } from '../../tests/support/cluster.js';

// The exporter's own cost at the size: 10,000 provisioned tenants (generated plan mix: 35,000 tenant-modules
// to probe) plus 1,000,000 data keys (tests/support/accounting-keys.ts: 40 more tenants x 5 modules x 5,000), at the
// default intervals (live read + probe every 15 s, SCAN accounting every 120 s), scraped every 15 s as Prometheus
// would. Figures: each job's CPU once, and the process's CPU (process.cpuUsage: user + system) over two accounting
// periods, as a share of one core (the scraper runs in this process too); each /metrics response's time and size. Checked: the work was done (keys accounted, probes made).
const TENANTS = 10_000;
const KEY_TENANTS = 40;
const KEYS_PER_TM = 5000;
const WINDOW_MS = 2 * DEFAULT_ACCOUNTING_INTERVAL_SECONDS * 1000;
const SCRAPE_MS = 15_000;

let c: TestCluster;
let admin: AdminSession;
let keyspace: AccountingKeyspace;
let exporter: Exporter | undefined;
const figure = (line: string) => {
  console.log(`[bench:exporter] ${line}`);
};

/** One GET of /metrics, the body counted (not kept: the scraper runs in the measured process, so it does the least). */
function scrape(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = get(url, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
  });
}

const HTTP_BASE = Number(process.env.CACHE_HARNESS_HTTP_PORT_BASE ?? 9190);
async function freeHttpPort(): Promise<number> {
  for (let p = HTTP_BASE; p < HTTP_BASE + 100; p++) if (await isPortFree(p)) return p;
  throw new Error(`no free HTTP port from ${HTTP_BASE}`);
}

beforeAll(async () => {
  c = await startTestCluster(1);
  admin = await openAdminSession(c.target);
  keyspace = await openAccountingKeyspace(c, { tenants: KEY_TENANTS, keysPerTenantModule: KEYS_PER_TM, budgetMs: 150_000 });
}, 300_000);
afterAll(async () => {
  await exporter?.close();
  await keyspace?.close();
  await admin?.close();
  await c?.stop();
}, 120_000);

test(`exporter CPU and /metrics time: ${TENANTS.toLocaleString('en')} tenants, ${(KEY_TENANTS * 5 * KEYS_PER_TM).toLocaleString('en')} keys, default intervals`, async () => {
  const pop = await provisionMany(admin, c.spec, generatePopulation({ count: TENANTS }));
  expect(pop.created).toHaveLength(TENANTS);
  const populateMs = await keyspace.populate();
  figure(`provisioned ${TENANTS} tenants, populated ${keyspace.dataKeys} keys in ${populateMs} ms`);
  await keyspace.quiesce();

  let accountings = 0;
  exporter = await startExporter({
    port: await freeHttpPort(),
    target: c.target,
    modules: Object.keys(c.spec.modules),
    log: (line) => {
      if (line.startsWith('accounted ')) accountings++;
    },
  });
  const snap = await exporter.refresh();
  const dataKeys = (x: typeof snap) => x?.tenantModules.reduce((a, r) => a + r.keys, 0);
  expect(dataKeys(snap)).toBe(keyspace.dataKeys + QUOTA_KEYS);
  figure(`first accounting: ${snap?.keysScanned} keys, ${snap?.tenantModules.length} tenant-modules in ${snap?.durationMs} ms`);

  // Steady state first: every tenant-module probed once (its histogram series exist), as after ~9 min of running.
  const w0 = performance.now();
  let covered = 0;
  let targets = 0;
  let rounds = 0;
  while (rounds < 100) {
    const r = await exporter.refreshLive();
    rounds++;
    if (!r) continue;
    targets = r.targets;
    covered += r.probed;
    if (covered >= r.targets) break;
  }
  figure(`warm-up: ${rounds} live rounds to probe all ${targets} tenant-modules once in ${((performance.now() - w0) / 1000).toFixed(1)} s`);
  expect(covered).toBeGreaterThanOrEqual(targets);
  expect(targets).toBeGreaterThan(35_000);

  // The measured window: the exporter's own timers only (the next accounting and live reads come due in it), and a
  // scrape every 15 s. The process runs nothing else meanwhile.
  // Each job's own CPU, once (the timers may add a little).
  const cpuOf = async (job: () => Promise<unknown>) => {
    const c0 = process.cpuUsage();
    const w = performance.now();
    await job();
    const d = process.cpuUsage(c0);
    return { cpuMs: (d.user + d.system) / 1000, wallMs: performance.now() - w };
  };
  const exp = exporter;
  const acct = await cpuOf(() => exp.refresh());
  const liveJob = await cpuOf(() => exp.refreshLive());
  const scrapeJob = await cpuOf(() => scrape(exp.url));
  const perSecond = acct.cpuMs / DEFAULT_ACCOUNTING_INTERVAL_SECONDS + (liveJob.cpuMs + scrapeJob.cpuMs) / DEFAULT_INTERVAL_SECONDS;
  figure(
    `one job's CPU: accounting ${acct.cpuMs.toFixed(0)} ms (${acct.wallMs.toFixed(0)} ms wall), live read + probe round ${liveJob.cpuMs.toFixed(0)} ms (${liveJob.wallMs.toFixed(0)} ms wall), scrape (both sides) ${scrapeJob.cpuMs.toFixed(0)} ms: ` +
      `at the defaults ${(perSecond / 10).toFixed(1)}% of one core`,
  );

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const scrapes: Array<{ ms: number; bytes: number }> = [];
  accountings = 0;
  while (performance.now() - t0 < WINDOW_MS) {
    await new Promise((r) => setTimeout(r, SCRAPE_MS));
    scrapes.push(await scrape(exporter.url));
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const ms = scrapes.map((s) => s.ms).sort((a, b) => a - b);
  figure(
    `window ${(wallMs / 1000).toFixed(0)} s at the defaults (live read + probe of ${DEFAULT_PROBE_OPTIONS.maxPerRound} every ${DEFAULT_INTERVAL_SECONDS} s, accounting every ${DEFAULT_ACCOUNTING_INTERVAL_SECONDS} s, a scrape every ${SCRAPE_MS / 1000} s): ` +
      `${accountings} accountings in it, CPU ${cpuMs.toFixed(0)} ms = ${((100 * cpuMs) / wallMs).toFixed(1)}% of one core (user ${(cpu.user / 1000).toFixed(0)} ms, system ${(cpu.system / 1000).toFixed(0)} ms; the scraper's side included)`,
  );
  figure(
    `/metrics: ${scrapes.length} scrapes, ${((scrapes[0]?.bytes ?? 0) / 1e6).toFixed(1)} MB each, time (until the last byte) min ${ms[0]?.toFixed(0)} / median ${ms[Math.floor(ms.length / 2)]?.toFixed(0)} / max ${ms[ms.length - 1]?.toFixed(0)} ms`,
  );
  expect(dataKeys(exporter.lastSnapshot())).toBe(keyspace.dataKeys + QUOTA_KEYS);
  expect(scrapes.length).toBeGreaterThan(0);
}, 900_000);
